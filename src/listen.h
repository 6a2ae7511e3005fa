#ifndef TSD_LISTEN_H
#define TSD_LISTEN_H
#endif
