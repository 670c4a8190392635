/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * libfde: a shared library whose hot code has no exported symbol, as in a stripped distro
 * library (liblzma, libz): fdelib_round is its one exported function, and it calls three
 * hidden functions that burn 6, 3 and 1 work units. Built -O2 without frame pointers, once
 * with symbols and DWARF and once stripped (tests/e2e/sym_fde.sh): stripped, the hot
 * functions are known only by their .eh_frame FDEs.
 *
 * Ground truth: of the samples whose leaf is a hot function, fde_hot_a has 60%, fde_hot_b
 * 30% and fde_hot_c 10%, in both builds.
 */
#include "../workload.h"

#define HIDDEN __attribute__((noinline, visibility("hidden")))

HIDDEN void fde_hot_a(int units)
{
	BURN(units * WORK_UNIT);
}

HIDDEN void fde_hot_b(int units)
{
	BURN(units * WORK_UNIT);
}

HIDDEN void fde_hot_c(int units)
{
	BURN(units * WORK_UNIT);
}

void fdelib_round(void)
{
	fde_hot_a(6);
	fde_hot_b(3);
	fde_hot_c(1);
}
