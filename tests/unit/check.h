/* check.h: the pass/fail counting the unit tests share. CHECK(cond, fmt,
 * ...) counts a pass, or prints "FAIL file:line: <message>" and counts a
 * failure; main prints npass and nfail. */
#ifndef MLG_TEST_CHECK_H
#define MLG_TEST_CHECK_H

#include <stdio.h>

static int npass, nfail;
#define CHECK(c, ...)                             \
  do {                                            \
    if (c) {                                      \
      npass++;                                    \
    } else {                                      \
      nfail++;                                    \
      printf("FAIL %s:%d: ", __FILE__, __LINE__); \
      printf(__VA_ARGS__);                        \
      printf("\n");                               \
    }                                             \
  } while (0)

#endif
