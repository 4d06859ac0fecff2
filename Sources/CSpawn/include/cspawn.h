#ifndef CSPAWN_H
#define CSPAWN_H
#include <sys/types.h>

/* Starts `path` with an explicit environment, in a new process group, with an empty signal mask and
   default signal dispositions (children of async Swift code otherwise inherit SIGTERM/SIGINT/SIGXCPU
   blocked), stdin/stdout/stderr set to the given descriptors (-1 for stdin means /dev/null), every other
   descriptor closed except `passed` (at most 64), which the child gets as 3, 4, ... in order, and `cwd`
   as working directory when not NULL. Returns 0 or an errno value. */
int cspawn_start(const char *path, char *const argv[], char *const envp[], const char *cwd,
                 int stdin_fd, int stdout_fd, int stderr_fd, const int *passed, int passed_count,
                 pid_t *pid_out);

/* Creates a pipe whose both ends are close-on-exec. Returns 0 or an errno value. */
int cspawn_pipe(int fds[2]);

/* Creates a connected pair of Unix sockets of `type` (SOCK_STREAM, SOCK_SEQPACKET), both ends
   close-on-exec. Returns 0 or an errno value. */
int cspawn_socketpair(int type, int fds[2]);

/* Sends `length` bytes as one message on `socket_fd` with the descriptor `passed` attached
   (SCM_RIGHTS), without SIGPIPE. Returns 0 or an errno value (EMSGSIZE when only part was sent). */
int cspawn_send_with_descriptor(int socket_fd, const void *bytes, size_t length, int passed);

/* prctl(PR_SET_PDEATHSIG, signal): the calling process gets `signal` when the thread that created it
   ends. Returns 0 or an errno value. */
int cspawn_signal_on_parent_death(int signal);
#endif
