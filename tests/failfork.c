/* failfork.c - an LD_PRELOAD shim for tests/test_faults.c: fork() fails.
 *
 * Root ignores RLIMIT_NPROC, so a test cannot make fork() fail the honest
 * way. This shim stands in for fork(): with MPKIT_FAILFORK=N in the
 * environment, the Nth call in a process fails with EAGAIN (what a full
 * process table gives) and says so on stderr, so the test knows the fault
 * was injected. A child counts on from its parent's count (it is a copy).
 * With MPKIT_SIGCHLD=blocked or =ignored the process also starts with
 * SIGCHLD blocked or ignored, as if a careless parent had exec'd it so:
 * the state main() inherits either way.
 *
 * Built as build/failfork.so by the Makefile, for the plain build only (an
 * ASan runtime must come first in the library list, a shim cannot).
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long fail_at;   /* 0: never */
static long forks;

__attribute__((constructor)) static void failfork_init(void)
{
    const char *n = getenv("MPKIT_FAILFORK");
    if (n != NULL)
        fail_at = strtol(n, NULL, 10);
    const char *chld = getenv("MPKIT_SIGCHLD");
    if (chld != NULL && strcmp(chld, "blocked") == 0) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigprocmask(SIG_BLOCK, &set, NULL);
    } else if (chld != NULL && strcmp(chld, "ignored") == 0) {
        signal(SIGCHLD, SIG_IGN);
    }
}

pid_t fork(void)
{
    static pid_t (*real_fork)(void);
    if (real_fork == NULL)
        real_fork = (pid_t (*)(void))dlsym(RTLD_NEXT, "fork");
    if (++forks == fail_at) {
        char line[96];
        int len = snprintf(line, sizeof line, "failfork: fork #%ld in pid %ld fails with EAGAIN\n",
                           forks, (long)getpid());
        if (write(STDERR_FILENO, line, (size_t)len) == -1) {
            /* nothing to do: the test then sees no note and fails */
        }
        errno = EAGAIN;
        return -1;
    }
    return real_fork();
}
