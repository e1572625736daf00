// Docker's default seccomp profile as a data table (moby/profiles seccomp/default.json): what an
// ordinary container may call, what only a container with a given capability may call, and the
// argument-filtered calls. Anything else fails with EPERM.
#include <cerrno>
#include <string_view>

#include "engine/runtime/seccomp_profile.hpp"

namespace engine::runtime {
namespace {

using enum SeccompAction;
using enum SeccompOp;

// CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
// CLONE_NEWNET: clone may not create namespaces without CAP_SYS_ADMIN.
constexpr std::uint64_t kNamespaceFlags = 0x7E020000;

// Names are space-separated; conditions are space-separated lists too (empty = none).
struct Entry {
    const char* names;
    SeccompAction action = kAllow;
    int errno_ret = 0;  // 0: the profile's default
    int arg_count = 0;
    SeccompArg arg{};
    const char* include_caps = "";
    const char* include_arches = "";
    const char* min_kernel = "";
    const char* exclude_caps = "";
    const char* exclude_arches = "";
};

const Entry kDefaultProfile[] = {
    {.names =
         "accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown "
         "chown32 clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime "
         "clock_gettime64 clock_nanosleep clock_nanosleep_time64 close close_range connect "
         "copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old "
         "epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit "
         "exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir "
         "fchmod fchmodat fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr "
         "flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 "
         "fsync ftruncate ftruncate64 futex futex_requeue futex_time64 futex_wait futex_waitv "
         "futex_wake futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid "
         "geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp "
         "getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 "
         "getrlimit get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid "
         "gettimeofday getuid getuid32 getxattr getxattrat inotify_add_watch inotify_init "
         "inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents "
         "io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit ipc kill landlock_add_rule "
         "landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link linkat "
         "listen listmount listxattr listxattrat llistxattr _llseek lremovexattr lseek lsetxattr "
         "lstat lstat64 madvise map_shadow_stack membarrier memfd_create memfd_secret mincore mkdir "
         "mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify "
         "mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 "
         "mq_unlink mremap mseal msgctl msgget msgrcv msgsnd msync munlock munlockall munmap "
         "name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause pidfd_open "
         "pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll "
         "ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6 "
         "pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv "
         "recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr removexattrat "
         "rename renameat renameat2 restart_syscall riscv_hwprobe rmdir rseq rt_sigaction "
         "rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait "
         "rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam "
         "sched_get_priority_max sched_get_priority_min sched_getscheduler sched_rr_get_interval "
         "sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam "
         "sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop "
         "semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 "
         "setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority "
         "setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 "
         "setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid "
         "setuid32 setxattr setxattrat shmat shmctl shmdt shmget shutdown sigaltstack signalfd "
         "signalfd4 sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs "
         "statfs64 statmount statx symlink symlinkat sync sync_file_range syncfs sysinfo tee "
         "tgkill time timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 "
         "timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 "
         "timerfd_settime timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname "
         "unlink unlinkat uretprobe utime utimensat utimensat_time64 utimes vfork vmsplice wait4 "
         "waitid waitpid write writev"},
    // Before 4.8 ptrace could be used to bypass seccomp.
    {.names = "process_vm_readv process_vm_writev ptrace", .min_kernel = "4.8"},
    // Every socket family except AF_ALG (38) and AF_VSOCK (40); one comparison per rule, since
    // libseccomp allows each argument once per rule.
    {.names = "socket", .arg_count = 1, .arg = {0, 38, 0, kLessThan}},
    {.names = "socket", .arg_count = 1, .arg = {0, 39, 0, kEqualTo}},
    {.names = "socket", .arg_count = 1, .arg = {0, 40, 0, kGreaterThan}},
    // personality: Linux, Linux32, UNAME26 (alone and with Linux32) and the query.
    {.names = "personality", .arg_count = 1, .arg = {0, 0x0, 0, kEqualTo}},
    {.names = "personality", .arg_count = 1, .arg = {0, 0x0008, 0, kEqualTo}},
    {.names = "personality", .arg_count = 1, .arg = {0, 0x20000, 0, kEqualTo}},
    {.names = "personality", .arg_count = 1, .arg = {0, 0x20008, 0, kEqualTo}},
    {.names = "personality", .arg_count = 1, .arg = {0, 0xffffffff, 0, kEqualTo}},
    // Architecture-specific calls.
    {.names = "sync_file_range2 swapcontext", .include_arches = "ppc64le"},
    {.names = "arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls",
     .include_arches = "arm arm64"},
    {.names = "arch_prctl", .include_arches = "amd64 x32"},
    {.names = "modify_ldt", .include_arches = "amd64 x32 x86"},
    {.names = "s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr", .include_arches = "s390 s390x"},
    {.names = "riscv_flush_icache", .include_arches = "riscv64"},
    // Capability-gated groups.
    {.names = "open_by_handle_at", .include_caps = "CAP_DAC_READ_SEARCH"},
    {.names = "bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie "
              "lsm_get_self_attr lsm_list_modules lsm_set_self_attr mount mount_setattr "
              "move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname "
              "sethostname setns syslog umount umount2 unshare",
     .include_caps = "CAP_SYS_ADMIN"},
    {.names = "clone", .arg_count = 1, .arg = {0, kNamespaceFlags, 0, kMaskedEqual},
     .exclude_caps = "CAP_SYS_ADMIN", .exclude_arches = "s390 s390x"},
    // s390 passes clone's flags second.
    {.names = "clone", .arg_count = 1, .arg = {1, kNamespaceFlags, 0, kMaskedEqual},
     .include_arches = "s390 s390x", .exclude_caps = "CAP_SYS_ADMIN"},
    // ENOSYS, not EPERM, so that libcs fall back to clone, which can be filtered by flags.
    {.names = "clone3", .action = kErrno, .errno_ret = ENOSYS, .exclude_caps = "CAP_SYS_ADMIN"},
    {.names = "reboot", .include_caps = "CAP_SYS_BOOT"},
    {.names = "chroot", .include_caps = "CAP_SYS_CHROOT"},
    {.names = "delete_module init_module finit_module", .include_caps = "CAP_SYS_MODULE"},
    {.names = "acct", .include_caps = "CAP_SYS_PACCT"},
    {.names = "kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace",
     .include_caps = "CAP_SYS_PTRACE"},
    {.names = "iopl ioperm", .include_caps = "CAP_SYS_RAWIO"},
    {.names = "settimeofday stime clock_settime clock_settime64", .include_caps = "CAP_SYS_TIME"},
    {.names = "vhangup", .include_caps = "CAP_SYS_TTY_CONFIG"},
    {.names = "get_mempolicy mbind set_mempolicy set_mempolicy_home_node", .include_caps = "CAP_SYS_NICE"},
    {.names = "syslog", .include_caps = "CAP_SYSLOG"},
    {.names = "bpf", .include_caps = "CAP_BPF"},
    {.names = "perf_event_open", .include_caps = "CAP_PERFMON"},
};

std::vector<std::string> words(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        auto space = text.find(' ');
        if (space != 0) out.emplace_back(text.substr(0, space));
        if (space == std::string_view::npos) break;
        text.remove_prefix(space + 1);
    }
    return out;
}

// The sub-architectures Docker's archMap adds to the filter for the native one.
std::vector<std::string> native_arches() {
#if defined(__x86_64__)
    return {"x86_64", "x86", "x32"};
#elif defined(__aarch64__)
    return {"aarch64", "arm"};
#elif defined(__s390x__)
    return {"s390x", "s390"};
#else
    return {};
#endif
}

}  // namespace

SeccompProfile default_seccomp_profile() {
    SeccompProfile profile;
    profile.default_action = kErrno;
    profile.default_errno = EPERM;
    profile.arches = native_arches();
    for (const Entry& e : kDefaultProfile) {
        SeccompRule rule;
        rule.names = words(e.names);
        rule.action = e.action;
        if (e.errno_ret != 0) rule.errno_ret = e.errno_ret;
        if (e.arg_count > 0) rule.args.push_back(e.arg);
        rule.includes = {words(e.include_caps), words(e.include_arches), e.min_kernel};
        rule.excludes = {words(e.exclude_caps), words(e.exclude_arches), ""};
        profile.rules.push_back(std::move(rule));
    }
    return profile;
}

}  // namespace engine::runtime
