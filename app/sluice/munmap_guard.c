/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A memif peer that goes away must not crash the worker polling the port.
 *
 * DPDK's net_memif (22.11 up to at least 22.11.11) handles the peer's
 * disconnect on the EAL interrupt thread: memif_disconnect() clears the
 * "connected" flag, then memif_free_regions() unmaps the shared regions at
 * once. A worker that read the flag just before, and is still inside
 * rte_eth_rx_burst()/rte_eth_tx_burst() on the rings, then touches unmapped
 * memory: SIGSEGV in librte_net_memif (seen on a loaded machine when the
 * first tier of a tree of brokers exited before the second). The PMD has
 * no hook between the two steps and no lock the data path takes, so sluice
 * cannot wait for its workers there through any DPDK API.
 *
 * What sluice does instead: it defines munmap() in the executable, which
 * takes precedence over libc's for every library, the dlopen()ed PMDs
 * included (the symbol is exported: app/sluice/meson.build). A munmap() called
 * on the EAL interrupt thread while workers run first waits for every worker
 * to pass a quiescent state (rte_rcu_qsbr, the workers' reload readers: each
 * reports one per loop, outside any burst). A burst that read the flag before
 * it was cleared has then returned, and a later one sees the flag cleared;
 * only then are the regions unmapped. Every other munmap() (other threads,
 * before the workers start, after they stop) goes straight through. The cost
 * is one grace period (a worker loop, microseconds) per region unmapped on a
 * disconnect. dpdk-patches/README.md lists the bug. With zero-copy=yes the
 * packet buffers are the client's own hugepages, never unmapped; its rings'
 * region is unmapped like any other, through here.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_interrupts.h>
#include <rte_rcu_qsbr.h>

#include "app.h"

typedef int (*munmap_fn)(void *, size_t);

static munmap_fn real_munmap;
static struct rte_rcu_qsbr *guard_qsbr;
static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;

/* Resolved before main(): dlsym() may allocate, and so munmap */
__attribute__((constructor)) static void
resolve_munmap(void)
{
	real_munmap = (munmap_fn)dlsym(RTLD_NEXT, "munmap");
}

static int
next_munmap(void *addr, size_t len)
{
	if (real_munmap != NULL)
		return real_munmap(addr, len);
	return (int)syscall(SYS_munmap, addr, len);
}

__attribute__((used, visibility("default"))) int
munmap(void *addr, size_t len)
{
	if (__atomic_load_n(&guard_qsbr, __ATOMIC_ACQUIRE) != NULL && rte_thread_is_intr()) {
		pthread_mutex_lock(&guard_lock);
		if (guard_qsbr != NULL)
			rte_rcu_qsbr_synchronize(guard_qsbr, RTE_QSBR_THRID_INVALID);
		pthread_mutex_unlock(&guard_lock);
	}
	return next_munmap(addr, len);
}

void
sl_munmap_guard(struct rte_rcu_qsbr *qsbr)
{
	pthread_mutex_lock(&guard_lock);
	__atomic_store_n(&guard_qsbr, qsbr, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&guard_lock);
}
