/* kallsyms: the parser on synthetic text (modules, aliases, data boundaries, garbage),
 * find() at symbol boundaries, hidden addresses, and the real /proc/kallsyms. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "symbols/kallsyms.h"

static const char synthetic[] =
	"0000000000000000 A fixed_percpu_data\n"
	"ffffffff81000000 T _stext\n"
	"ffffffff81000000 t startup_alias\n"
	"ffffffff81000100 t helper\n"
	"ffffffff81000200 W weak_fn\n"
	"ffffffff81000300 D some_data\n"
	"ffffffff81000400 T after_data\n"
	"ffffffff81000500 r rodata_sym\n"
	"ffffffffc0001080 T mod_fn2\t[mymod]\n"	/* modules are not sorted by address */
	"ffffffffc0001000 t mod_fn1\t[mymod]\n"
	"ffffffffc0002000 t other_fn\t[other_mod]\n"
	"garbage line\n"
	"ffffffffzz000000 T bad_addr\n"
	"ffffffff8100ffff T\n"
	"ffffffff8100fff0 T broken_mod\t[unterminated\n"
	"fffffffff81000000 T seventeen_digits\n"
	"ffffffffc0003000 t last_fn\t[other_mod]";

static void expect_sym(const struct kallsyms *ks, uint64_t addr, const char *name,
		       uint64_t start, const char *module)
{
	const char *n = NULL, *m = NULL;
	uint64_t s = 0;
	int err = kallsyms__find(ks, addr, &n, &s, &m);

	CHECK(!err && !strcmp(n, name) && s == start && !strcmp(m, module),
	      "%" PRIx64 ": err %d, %s+%" PRIx64 " [%s], want %s [%s]", addr, err, n ? n : "-",
	      addr - s, m ? m : "-", name, module);
}

static void expect_none(const struct kallsyms *ks, uint64_t addr)
{
	const char *n = NULL;

	CHECK(kallsyms__find(ks, addr, &n, NULL, NULL) == -ENOENT, "%" PRIx64 ": got %s", addr,
	      n ? n : "-");
}

TEST(parse_synthetic)
{
	struct kallsyms *ks = kallsyms__parse(synthetic, sizeof(synthetic) - 1);

	REQUIRE(ks, "parse: %s", strerror(errno));
	/* _stext (alias dropped), helper, weak_fn, after_data, mod_fn1, mod_fn2, other_fn,
	 * last_fn */
	CHECK(kallsyms__count(ks) == 8, "count %zu", kallsyms__count(ks));
	expect_none(ks, 0);
	expect_none(ks, 0xffffffff80ffffffull);
	expect_sym(ks, 0xffffffff81000000ull, "_stext", 0xffffffff81000000ull, "");
	expect_sym(ks, 0xffffffff810000ffull, "_stext", 0xffffffff81000000ull, "");
	expect_sym(ks, 0xffffffff81000100ull, "helper", 0xffffffff81000100ull, "");
	expect_sym(ks, 0xffffffff810002ffull, "weak_fn", 0xffffffff81000200ull, "");
	expect_none(ks, 0xffffffff81000300ull);	/* data ends weak_fn */
	expect_none(ks, 0xffffffff810003ffull);
	expect_sym(ks, 0xffffffff81000400ull, "after_data", 0xffffffff81000400ull, "");
	expect_sym(ks, 0xffffffff810004ffull, "after_data", 0xffffffff81000400ull, "");
	expect_none(ks, 0xffffffff81000500ull);
	expect_none(ks, 0xffffffffc0000fffull);
	expect_sym(ks, 0xffffffffc0001000ull, "mod_fn1", 0xffffffffc0001000ull, "mymod");
	expect_sym(ks, 0xffffffffc000107full, "mod_fn1", 0xffffffffc0001000ull, "mymod");
	expect_sym(ks, 0xffffffffc0001080ull, "mod_fn2", 0xffffffffc0001080ull, "mymod");
	expect_sym(ks, 0xffffffffc0001fffull, "mod_fn2", 0xffffffffc0001080ull, "mymod");
	expect_sym(ks, 0xffffffffc0002000ull, "other_fn", 0xffffffffc0002000ull, "other_mod");
	expect_sym(ks, 0xffffffffc0003000ull, "last_fn", 0xffffffffc0003000ull, "other_mod");
	kallsyms__free(ks);
}

TEST(parse_honours_len)
{
	size_t len = sizeof(synthetic) - 1;
	struct kallsyms *ks;

	/* Cut inside "last_fn": the name ends where len ends, never at a NUL. */
	ks = kallsyms__parse(synthetic, len - strlen("_fn\t[other_mod]"));
	REQUIRE(ks, "parse");
	expect_sym(ks, 0xffffffffc0003000ull, "last", 0xffffffffc0003000ull, "");
	kallsyms__free(ks);
	/* Cut inside the module name: the line is malformed and skipped. */
	ks = kallsyms__parse(synthetic, len - strlen("od]"));
	REQUIRE(ks, "parse");
	expect_sym(ks, 0xffffffffc0003000ull, "other_fn", 0xffffffffc0002000ull, "other_mod");
	kallsyms__free(ks);
	ks = kallsyms__parse("", 0);
	CHECK(ks && kallsyms__count(ks) == 0, "empty");
	if (ks)
		expect_none(ks, 0xffffffff81000000ull);
	kallsyms__free(ks);
}

static int write_temp(char *path, size_t size, const char *text)
{
	int fd;

	snprintf(path, size, "/tmp/cprof-kallsyms-%d", getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

TEST(hidden_addresses)
{
	static const char hidden[] = "0000000000000000 T _stext\n"
				     "0000000000000000 t helper\n"
				     "0000000000000000 t mod_fn\t[mymod]\n";
	char path[128];
	struct kallsyms *ks;
	int err;

	err = write_temp(path, sizeof(path), hidden);
	REQUIRE(!err, "temp file");
	errno = 0;
	ks = kallsyms__load(path);
	CHECK(!ks && errno == EPERM, "all-zero addresses: errno %d", errno);
	kallsyms__free(ks);
	err = write_temp(path, sizeof(path), synthetic);
	REQUIRE(!err, "temp file");
	ks = kallsyms__load(path);
	CHECK(ks && kallsyms__count(ks) == 8, "a file with some zero addresses loads");
	kallsyms__free(ks);
	unlink(path);
	errno = 0;
	CHECK(!kallsyms__load("/no/such/kallsyms") && errno == ENOENT, "missing file");
}

/* The address of `schedule` as the kernel lists it (our own reading of the file). */
static uint64_t schedule_addr(void)
{
	unsigned long long a;
	char line[512], type, name[256];
	uint64_t found = 0;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &a, &type, name) == 3 && !strcmp(name, "schedule"))
			found = a;
	fclose(f);
	return found;
}

TEST(real_kallsyms)
{
	struct timespec t0, t1;
	struct kallsyms *ks;
	uint64_t addr;
	double ms;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	ks = kallsyms__load(NULL);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	if (!ks && errno == EPERM)
		SKIP("kernel addresses are hidden (kptr_restrict, not root)");
	REQUIRE(ks, "load: %s", strerror(errno));
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("    /proc/kallsyms: %zu text symbols in %.1f ms\n", kallsyms__count(ks), ms);
	CHECK(ms < 2000, "load took %.1f ms of CPU", ms);
	CHECK(kallsyms__count(ks) > 10000, "count %zu", kallsyms__count(ks));
	addr = schedule_addr();
	CHECK(addr != 0, "schedule in /proc/kallsyms");
	if (addr) {
		expect_sym(ks, addr, "schedule", addr, "");
		expect_sym(ks, addr + 1, "schedule", addr, "");
	}
	kallsyms__free(ks);
}

int main(void)
{
	CHECK_SUITE("kallsyms");
	RUN(parse_synthetic);
	RUN(parse_honours_len);
	RUN(hidden_addresses);
	RUN(real_kallsyms);
	return CHECK_EXIT();
}
