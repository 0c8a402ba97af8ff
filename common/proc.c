/* proc.c - shared memory, wait statuses, a bounded wait, object names. */
#include "kit.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

void *kit_shared_alloc(size_t size)
{
    /* MAP_SHARED: after fork, parent and child see the same pages.
     * (MAP_PRIVATE, like all ordinary memory, would be copied on write.) */
    void *addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (addr == MAP_FAILED)
        kit_die("mmap");
    return addr;
}

void kit_shared_free(void *addr, size_t size)
{
    if (munmap(addr, size) == -1)
        kit_die("munmap");
}

const char *kit_status_str(int status, char *buf, size_t size)
{
    if (WIFEXITED(status))
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, size, "killed by signal %d (SIG%s)%s", WTERMSIG(status),
                 sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?",
                 WCOREDUMP(status) ? " (core dumped)" : "");
    else if (WIFSTOPPED(status))
        snprintf(buf, size, "stopped by signal %d", WSTOPSIG(status));
    else
        snprintf(buf, size, "unknown status 0x%x", (unsigned)status);
    return buf;
}

bool kit_wait_timeout(pid_t pid, int *status, double seconds)
{
    /* Poll with WNOHANG every millisecond: simple, and exact enough for a
     * watchdog whose limits are tenths of a second. */
    double deadline = kit_now() + seconds;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return true;
        if (r == -1 && errno != EINTR)
            kit_die("waitpid");
        if (kit_now() >= deadline)
            return false;
        kit_sleep(0.001);
    }
}

const char *kit_object_name(char *buf, size_t size, const char *what)
{
    snprintf(buf, size, "/mpkit-%s-%ld", what, (long)getpid());
    return buf;
}
