// C++ heap workload: new/delete reach the allocator through operator new/delete, which the
// profile shows. retain_objects() keeps 16 MiB in 64 KiB arrays; churn_objects() allocates
// and deletes 256 MiB in 4 KiB arrays.
//
// It waits a second first: a COMMAND's unwind tables are published asynchronously after its
// exec, and until then frames in libstdc++ (no frame pointers) unwind by frame pointer and
// skip the caller of operator new; the C workloads need no wait (frame pointers throughout).
#include <cstdio>
#include <unistd.h>
#include <vector>

static char *volatile sink;

std::vector<char *> *retain_objects(size_t total, size_t block)
{
	auto *v = new std::vector<char *>;

	v->reserve(total / block);
	for (size_t i = 0; i < total / block; i++)
		v->push_back(new char[block]);
	return v;
}

void churn_objects(size_t total, size_t block)
{
	for (size_t i = 0; i < total / block; i++) {
		char *p = new char[block];

		p[0] = 1;
		sink = p;
		delete[] p;
	}
}

int main()
{
	sleep(1);
	auto *v = retain_objects(16 << 20, 65536);

	churn_objects(256 << 20, 4096);
	std::printf("done %zu\n", v->size());
	return 0;
}
