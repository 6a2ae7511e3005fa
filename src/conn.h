#ifndef TSD_CONN_H
#define TSD_CONN_H
#endif
