#include "worker-priority.hpp"

#include <atomic>

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace hlp_binding {

namespace {
std::atomic<int> g_nice{0};
// What this thread has applied (-1: nothing yet).
thread_local int t_applied = -1;
}  // namespace

void set_worker_nice(int nice) { g_nice.store(nice < 0 ? 0 : nice > 19 ? 19 : nice, std::memory_order_relaxed); }

int worker_nice() { return g_nice.load(std::memory_order_relaxed); }

void apply_worker_nice() {
  const int want = g_nice.load(std::memory_order_relaxed);
  if (want <= t_applied) return;
#if defined(__linux__)
  // On Linux a thread id names one thread for setpriority (POSIX would say process).
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), want) != 0) return;
#endif
  t_applied = want;
}

}  // namespace hlp_binding
