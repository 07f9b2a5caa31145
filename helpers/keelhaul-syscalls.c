/*
 * keelhaul-syscalls: asks the kernel for system calls that a container engine's default seccomp
 * profile forbids, each with arguments the kernel rejects before doing anything, and prints what
 * came back, one "sc.NAME=ERRNO NAME" line per call.
 *
 *   EPERM (or ENOSYS from a profile whose default answer is ENOSYS): refused, by the filter or by
 *     the kernel's own capability check (the judge knows which calls check capabilities first);
 *   EINVAL / EFAULT / EBADF / EOPNOTSUPP: the call reached the kernel's argument checks, so no
 *     filter stopped it; with these arguments it still did nothing;
 *   ENOSYS on a call the kernel was built without: absent (the judge cannot tell it from a filter
 *     answering ENOSYS, and says so).
 *
 * Nothing here can change anything: every pointer is NULL, every descriptor is -1, every flag word
 * holds a bit the kernel does not define. Built static (gcc -static) into the probe image when it is
 * seeded (adapters/platform/probe-image.ts, test/fixtures/seed-busybox.sh); never committed as a binary.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif

static const char *errno_name(int e) {
  switch (e) {
    case 0: return "OK";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EBADF: return "EBADF";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    case ENOSYS: return "ENOSYS";
    case EACCES: return "EACCES";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ENOMEM: return "ENOMEM";
    case E2BIG: return "E2BIG";
    case ESRCH: return "ESRCH";
    case ENODEV: return "ENODEV";
    case ENOKEY: return "ENOKEY";
    default: return "OTHER";
  }
}

static void report(const char *name, long rc) {
  int e = rc < 0 ? errno : 0;
  printf("sc.%s=%d %s\n", name, e, errno_name(e));
}

#define CALL(name, ...) do { errno = 0; report(name, syscall(__VA_ARGS__)); } while (0)

int main(void) {
  /* Controls: an allowed call with a bad descriptor must say EBADF, or nothing below means anything. */
  CALL("control_close", SYS_close, -1);
  /* No capability check before the argument checks on current kernels: discriminating. */
  CALL("bpf", SYS_bpf, -1, NULL, 0);                                   /* unknown command: EINVAL */
  CALL("keyctl", SYS_keyctl, 0x7fffffff, 0, 0, 0, 0);                 /* unknown operation: EOPNOTSUPP */
  CALL("add_key", SYS_add_key, NULL, NULL, NULL, 0, 0);                /* NULL type: EFAULT */
  CALL("request_key", SYS_request_key, NULL, NULL, NULL, 0);           /* NULL type: EFAULT */
  CALL("perf_event_open", SYS_perf_event_open, NULL, 0, -1, -1, 0);    /* NULL attr: EFAULT */
  CALL("userfaultfd", SYS_userfaultfd, 1 | 0x40000000);                /* user-mode-only + undefined bit: EINVAL */
  CALL("open_by_handle_at", SYS_open_by_handle_at, -1, NULL, 0);       /* bad mount fd: EBADF (6.x) */
  CALL("setns", SYS_setns, -1, 0);                                     /* bad fd: EBADF */
  CALL("unshare", SYS_unshare, 0x1);                                   /* undefined flag: EINVAL */
  CALL("clock_settime", SYS_clock_settime, -1, NULL);                  /* unknown clock: EINVAL */
  CALL("mbind", SYS_mbind, NULL, 0, 0x7fff, NULL, 0, 0);               /* unknown mode: EINVAL */
  CALL("process_vm_readv", SYS_process_vm_readv, 0, NULL, 0, NULL, 0, 1); /* flags must be 0: EINVAL */
  CALL("io_uring_setup", SYS_io_uring_setup, 0, NULL);                 /* 0 entries / NULL params */
#if defined(__x86_64__) || defined(__i386__)
  CALL("iopl", SYS_iopl, 4);                                           /* level above 3: EINVAL */
  CALL("ioperm", SYS_ioperm, 0, 0, 0);                                 /* empty range: EINVAL */
#endif
  /* The kernel checks a capability before the arguments: EPERM from these proves nothing alone. */
  CALL("kexec_load", SYS_kexec_load, 0, 0, NULL, 0xffffffffUL);
  CALL("kexec_file_load", SYS_kexec_file_load, -1, -1, 0, NULL, 0xffffffffUL);
  CALL("init_module", SYS_init_module, NULL, 0, NULL);
  CALL("finit_module", SYS_finit_module, -1, NULL, 0x7fffffff);
  CALL("delete_module", SYS_delete_module, NULL, 0);
  CALL("swapon", SYS_swapon, NULL, 0);
  CALL("acct", SYS_acct, (char *)-1);
  CALL("reboot", SYS_reboot, 0, 0, 0, NULL);
  printf("sc.done=1\n");
  return 0;
}
