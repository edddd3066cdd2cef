/* The symbols of libstreaming-utils-glib: everything else in it is hidden. */
#pragma once

#include <glib.h>

#if defined(SU_GLIB_COMPILATION)
#define SU_API __attribute__((visibility("default"))) extern
#else
#define SU_API extern
#endif
