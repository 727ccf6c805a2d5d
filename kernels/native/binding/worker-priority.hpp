// The scheduling priority of the libuv pool threads that run this addon's batch work.
//
// A service's event loop answers every client; its batch crypto on the pool is throughput
// work. On a machine with fewer cores than runnable threads the two compete on equal terms,
// so a flood of large batches delays a health check by whole scheduler slices. A positive
// niceness for the pool threads that run our work lets the loop win those contests while the
// crypto still gets every cycle the loop leaves.
#pragma once

namespace hlp_binding {

// Sets the niceness (0..19) the pool threads take when they next run this addon's work.
// Raising it is always allowed; a thread never lowers its niceness again (that would need a
// privilege), so a lower value than one already applied takes effect only on fresh threads.
void set_worker_nice(int nice);
int worker_nice();

// Called at the start of every piece of work on a pool thread.
void apply_worker_nice();

}  // namespace hlp_binding
