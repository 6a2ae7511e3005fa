#ifndef TSD_MASTER_H
#define TSD_MASTER_H
#endif
