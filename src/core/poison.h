/*
 * core/poison.h -- functions that must never be used in centinela.
 * Included in every compilation unit by the Makefile: using one of them
 * fails the build.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CORE_POISON_H
#define CENTINELA_CORE_POISON_H

/* Pull in the libc declarations first so the poison only hits our code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC poison strcpy strcat sprintf vsprintf gets strtok atoi atol

#endif /* CENTINELA_CORE_POISON_H */
