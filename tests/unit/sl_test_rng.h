/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The unit tests' random numbers: splitmix64, the same sequence on every
 * libc, so a property test that fails fails again. Each test keeps its own
 * state (its own seed).
 */
#ifndef SL_TEST_RNG_H
#define SL_TEST_RNG_H

#include <stdint.h>

static inline uint64_t
sl_test_rnd(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif /* SL_TEST_RNG_H */
