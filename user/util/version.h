/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef HT_UTIL_VERSION_H
#define HT_UTIL_VERSION_H
#define HEAPTRACE_VERSION "0.2.0"
#endif
