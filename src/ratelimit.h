#ifndef TSD_RATELIMIT_H
#define TSD_RATELIMIT_H
#endif
