# C++ lock workload (tests/workloads/locks_cxx.cc): std::mutex and std::shared_mutex, built
# like the C workloads (frame pointers, no inlining).
TEST_TARGETS += $(OUT)/workloads/locks_cxx

$(OUT)/workloads/locks_cxx: tests/workloads/locks_cxx.cc tests/workloads/workload.h
	@mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(WORKLOAD_CFLAGS) $(WARN) $(DEPFLAGS) -pthread $< -o $@
