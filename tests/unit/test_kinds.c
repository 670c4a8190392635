// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The table of profile kinds (user/kinds/kinds.c) keeps what the session relies on when it
 * loops over it: names and ids unique, each record kind taken by one kind, the operations
 * every kind must have, a reason to give for each phase that can fail. */
#include <string.h>

#include "check.h"
#include "cprof.h"
#include "kinds/kind.h"

TEST(table_fits)
{
	CHECK(n_kinds > 0 && n_kinds <= KINDS_MAX, "%u kinds, KINDS_MAX %d", n_kinds, KINDS_MAX);
}

TEST(names_and_ids_unique)
{
	for (unsigned int i = 0; i < n_kinds; i++) {
		const struct kind_ops *k = kinds[i];

		REQUIRE(k && k->name && *k->name, "kind %u has no name", i);
		CHECK(k->id < CPROF_KIND_NR, "%s: id %u", k->name, k->id);
		for (unsigned int j = 0; j < i; j++) {
			CHECK(strcmp(k->name, kinds[j]->name), "two kinds named %s", k->name);
			CHECK(k->id != kinds[j]->id, "%s and %s share id %u", k->name, kinds[j]->name,
			      k->id);
		}
	}
}

TEST(records_taken_once)
{
	unsigned int seen = 0;

	for (unsigned int i = 0; i < n_kinds; i++) {
		const struct kind_ops *k = kinds[i];

		CHECK(k->records & KIND_BIT(k->id), "%s does not take its own records", k->name);
		CHECK(!(k->records & ~(KIND_BIT(CPROF_KIND_NR) - 1)), "%s takes records 0x%x beyond "
		      "the record kinds", k->name, k->records);
		CHECK(!(seen & k->records), "%s takes records another kind takes", k->name);
		seen |= k->records;
	}
}

TEST(operations_present)
{
	for (unsigned int i = 0; i < n_kinds; i++) {
		const struct kind_ops *k = kinds[i];

		CHECK(k->open && k->load && k->detach && k->report && k->free,
		      "%s lacks a required operation", k->name);
		CHECK(k->load_fails && *k->load_fails, "%s: no reason for a failed load", k->name);
		CHECK(!(k->attach || k->watch) || (k->attach_fails && *k->attach_fails),
		      "%s: no reason for a failed attach", k->name);
		CHECK(!(k->host_default && k->needs_targets),
		      "%s: in the host-wide defaults but needs -p or COMMAND", k->name);
	}
}

int main(void)
{
	CHECK_SUITE("unit/kinds");
	RUN(table_fits);
	RUN(names_and_ids_unique);
	RUN(records_taken_once);
	RUN(operations_present);
	return CHECK_EXIT();
}
