#pragma once

// Docker's default security profile, as data: the capability set, masked and read-only paths,
// devices, and the seccomp filter (moby's default.json), applied with libcap/libseccomp.

#include <string>
#include <vector>

#include "engine/sys/result.hpp"

namespace engine::runtime {

/// Docker's 14 default capabilities, "CAP_CHOWN" form.
const std::vector<std::string>& default_capabilities();
/// Every capability the running kernel knows (for --privileged and "ALL").
std::vector<std::string> all_capabilities();
/// The capabilities this process may grant (its bounding set): what --privileged and
/// --cap-add ALL give.
std::vector<std::string> grantable_capabilities();

/// The final capability list: the defaults (or all when privileged), then --cap-drop, then
/// --cap-add, with "ALL" and names with or without the CAP_ prefix, case-insensitive as Docker.
/// An unknown name is an error naming it.
Result<std::vector<std::string>> resolve_capabilities(const std::vector<std::string>& add,
                                                      const std::vector<std::string>& drop,
                                                      bool privileged);

/// Docker's masked and read-only paths (empty when privileged).
const std::vector<std::string>& default_masked_paths();
const std::vector<std::string>& default_readonly_paths();

/// Sets the process's capabilities as moby's SetCapabilities asks runc to: the bounding set is
/// `caps`; for uid 0 the permitted and effective sets are `caps` too, for any other user they are
/// empty (what execve would leave); inheritable and ambient are always empty (CVE-2022-24769).
/// An unknown name is an error. Never logs; safe in the forked container child.
///
/// Order the launcher must use in the child, before exec:
///   1. no_new_privs if asked (prctl PR_SET_NO_NEW_PRIVS);
///   2. without no_new_privs: apply_seccomp now, while the child still has CAP_SYS_ADMIN (the
///      kernel needs it or no_new_privs to load a filter);
///   3. prctl(PR_SET_KEEPCAPS, 1), setgroups/setresgid/setresuid, prctl(PR_SET_KEEPCAPS, 0) —
///      keepcaps keeps the permitted set (and with it CAP_SETPCAP, needed to shrink the bounding
///      set) across the uid change;
///   4. apply_capabilities(caps);
///   5. with no_new_privs: apply_seccomp here, as late as possible, so that fewer of the
///      launcher's own syscalls must pass the filter;
///   6. execve.
Status apply_capabilities(const std::vector<std::string>& caps);

/// Loads the seccomp filter: `profile` is "default" or "" (Docker's, adjusted for `caps` as moby
/// does), "unconfined" (nothing), or a Docker-format profile JSON text (see seccomp_profile.hpp).
/// Syscall names this libseccomp does not know are skipped, as Docker does. The filter does not
/// set no_new_privs by itself. Bad JSON or an unknown action is an error. --privileged
/// containers run unconfined in Docker: the caller passes "unconfined" for them.
Status apply_seccomp(const std::string& profile, const std::vector<std::string>& caps);

/// apply_seccomp in two halves, so that the (costly) compilation can be done once and cached:
/// the profile as a BPF program ("" for unconfined), and loading such a program.
Result<std::string> compile_seccomp(const std::string& profile, const std::vector<std::string>& caps);
Status load_seccomp_program(const std::string& program);

}  // namespace engine::runtime
