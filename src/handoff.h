#ifndef TSD_HANDOFF_H
#define TSD_HANDOFF_H
#endif
