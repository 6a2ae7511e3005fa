/* Process names for ps and top: "tsd: master", "tsd: worker". */
#ifndef TSD_PROCTITLE_H
#define TSD_PROCTITLE_H

/* Remember where argv lives; call once from main before anything else. */
void proctitle_init(int argc, char **argv);
/* Set the command name (prctl) and overwrite the argument area. The
 * arguments themselves are gone afterwards: copy what you need first. */
void proctitle_set(const char *title);

#endif
