#ifndef TSD_SELECT_H
#define TSD_SELECT_H
#endif
