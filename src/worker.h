#ifndef TSD_WORKER_H
#define TSD_WORKER_H
#endif
