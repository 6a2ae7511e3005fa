#ifndef TSD_REPORT_H
#define TSD_REPORT_H
#endif
