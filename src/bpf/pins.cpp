#include "bpf/pins.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/files.h"
#include "modes/cgroup/hierarchy.h"

namespace privbind::bpf {

namespace {

std::string hex(const unsigned char* bytes, size_t n) {
  std::string out;
  char b[3];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(b, sizeof b, "%02x", bytes[i]);
    out += b;
  }
  return out;
}

}  // namespace

ObjectKind kindOf(int fd) {
  char target[64] = {};
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
  if (n <= 0) return ObjectKind::kOther;
  std::string_view t(target, static_cast<size_t>(n));
  if (t == "anon_inode:bpf-map") return ObjectKind::kMap;
  if (t == "anon_inode:bpf-prog") return ObjectKind::kProgram;
  // A link made by BPF_LINK_CREATE is "bpf_link", one reopened from its pin "bpf-link".
  if (t == "anon_inode:bpf_link" || t == "anon_inode:bpf-link") return ObjectKind::kLink;
  return ObjectKind::kOther;
}

const char* kindName(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kMap:
      return "a map";
    case ObjectKind::kProgram:
      return "a program";
    case ObjectKind::kLink:
      return "a link";
    case ObjectKind::kOther:
      break;
  }
  return "an object of unknown type";
}

bool bpffsMounted() {
  struct statfs s {};
  return statfs(kBpffs, &s) == 0 && static_cast<unsigned long>(s.f_type) == BPF_FS_MAGIC;
}

Status preparePinDir() {
  if (!bpffsMounted()) {
    // Not mounted (a host without systemd, or early at boot): mount it, root's only.
    if (mount("bpf", kBpffs, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") != 0)
      return Error::fromErrno(std::string("mount(bpf, ") + kBpffs + ", bpf)", errno);
    if (!bpffsMounted())
      return Error::refuse(kBpffs, "mounted, but statfs(2) says it is not bpffs");
  }
  if (mkdir(kPinDir, 0700) != 0 && errno != EEXIST)
    return Error::fromErrno(std::string("mkdir(") + kPinDir + ", 0700)", errno);
  struct stat st {};
  if (lstat(kPinDir, &st) != 0)
    return Error::fromErrno(std::string("lstat(") + kPinDir + ")", errno);
  if (!S_ISDIR(st.st_mode)) return Error::refuse(kPinDir, "exists and is not a directory");
  // Whoever can write here can replace privbind's pins: root only.
  if (st.st_uid != 0) return Error::refuse(kPinDir, "is not owned by root");
  if ((st.st_mode & 07777) != 0700 && chmod(kPinDir, 0700) != 0)
    return Error::fromErrno(std::string("chmod(") + kPinDir + ", 0700)", errno);
  return {};
}

Result<UniqueFd> openPin(const std::string& path) {
  UniqueFd fd(bpf_obj_get(path.c_str()));
  if (fd) return fd;
  if (errno == ENOENT) return UniqueFd();
  return Error::fromErrno("bpf(BPF_OBJ_GET, " + path + ")", errno);
}

Status pinReplacing(int fd, const std::string& path) {
  // bpffs refuses names with a dot (bpf_lookup()): "_new", not ".new".
  std::string tmp = path + "_new";
  unlink(tmp.c_str());  // left by a privbind that died between the two steps
  if (bpf_obj_pin(fd, tmp.c_str()) != 0)
    return Error::fromErrno("bpf(BPF_OBJ_PIN, " + tmp + ")", errno);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return Error::fromErrno("rename(" + tmp + ", " + path + ")", err);
  }
  return {};
}

Result<RootCgroup> openRootCgroup() {
  auto mi = files::readFile("/proc/self/mountinfo");
  if (!mi) return mi.error();
  auto mount = cgroupmode::findCgroup2Mount(*mi, "/");
  if (!mount) return mount.error();
  if (mount->root != "/")
    return Error::refuse("cgroup v2 at " + mount->mountPoint,
                         "mounts the subtree " + mount->root + ", not the whole hierarchy");
  RootCgroup root;
  root.path = mount->mountPoint;
  root.fd = UniqueFd(open(root.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.fd) return Error::fromErrno("open(" + root.path + ")", errno);
  // The cgroup id is the directory's kernfs file handle (what bpftool and the link info use).
  struct {
    struct file_handle fh;
    // The storage behind fh.f_handle (a flexible array member): written by the kernel, read
    // through f_handle.
    // cppcheck-suppress unusedStructMember
    uint64_t id;
  } handle{};
  handle.fh.handle_bytes = sizeof(uint64_t);
  int mountId = 0;
  if (name_to_handle_at(root.fd.get(), "", &handle.fh, &mountId, AT_EMPTY_PATH) != 0)
    return Error::fromErrno("name_to_handle_at(" + root.path + ")", errno);
  std::memcpy(&root.id, handle.fh.f_handle, sizeof root.id);
  return root;
}

Result<ProgramInfo> programInfo(int progFd) {
  uint32_t maps[16] = {};
  bpf_prog_info info{};
  info.nr_map_ids = 16;
  info.map_ids = reinterpret_cast<uint64_t>(maps);
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(progFd, &info, &len) != 0)
    return Error::fromErrno("bpf(BPF_OBJ_GET_INFO_BY_FD, program)", errno);
  ProgramInfo out;
  out.type = info.type;
  out.name.assign(info.name, strnlen(info.name, sizeof info.name));
  out.tag = hex(info.tag, sizeof info.tag);
  out.mapIds.assign(maps, maps + std::min<uint32_t>(info.nr_map_ids, 16));
  return out;
}

const char* linkStateName(LinkState state) {
  switch (state) {
    case LinkState::kMissing:
      return "missing";
    case LinkState::kCurrent:
      return "attached";
    case LinkState::kOtherProgram:
      return "other-program";
    case LinkState::kDetached:
      return "detached";
    case LinkState::kForeign:
      return "foreign";
  }
  return "?";
}

Result<LinkCheck> checkLink(const std::string& path, uint64_t cgroupId, bpf_attach_type type,
                            const ProgramInfo& want) {
  LinkCheck out;
  auto pin = openPin(path);
  if (!pin) return pin.error();
  if (!*pin) return out;  // kMissing
  ObjectKind kind = kindOf(pin->get());
  if (kind != ObjectKind::kLink) {
    out.state = LinkState::kForeign;
    out.detail = std::string("the pin holds ") + kindName(kind) + ", not a link";
    return out;
  }
  bpf_link_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(pin->get(), &info, &len) != 0)
    return Error::fromErrno("bpf(BPF_OBJ_GET_INFO_BY_FD, " + path + ")", errno);
  out.fd = std::move(*pin);
  out.progId = info.prog_id;
  if (info.type != BPF_LINK_TYPE_CGROUP || info.cgroup.attach_type != type) {
    out.state = LinkState::kForeign;
    out.detail = "a link of another kind or hook (type " + std::to_string(info.type) +
                 ", attach type " + std::to_string(info.cgroup.attach_type) + ")";
    return out;
  }
  // A detached cgroup link keeps existing while pinned, attached nowhere (cgroup id 0).
  if (info.cgroup.cgroup_id == 0) {
    out.state = LinkState::kDetached;
    out.detail = "the link was detached from the root cgroup";
    return out;
  }
  if (info.cgroup.cgroup_id != cgroupId) {
    out.state = LinkState::kForeign;
    out.detail = "a link attached to cgroup id " + std::to_string(info.cgroup.cgroup_id) +
                 ", not the root cgroup (" + std::to_string(cgroupId) + ")";
    return out;
  }
  UniqueFd prog(bpf_prog_get_fd_by_id(info.prog_id));
  if (!prog)
    return Error::fromErrno("bpf(BPF_PROG_GET_FD_BY_ID, " + std::to_string(info.prog_id) + ")",
                            errno);
  auto have = programInfo(prog.get());
  if (!have) return have.error();
  if (have->tag == want.tag && have->name == want.name && have->mapIds == want.mapIds) {
    out.state = LinkState::kCurrent;
    return out;
  }
  out.state = LinkState::kOtherProgram;
  out.detail = "runs program '" + have->name + "' tag " + have->tag;
  if (have->tag == want.tag && have->name == want.name) out.detail += " with other maps";
  return out;
}

Result<std::vector<std::string>> ensureLink(const std::string& path, const RootCgroup& root,
                                            bpf_attach_type type, int progFd) {
  std::vector<std::string> notes;
  auto want = programInfo(progFd);
  if (!want) return want.error();
  auto check = checkLink(path, root.id, type, *want);
  if (!check) return check.error();
  switch (check->state) {
    case LinkState::kCurrent:
      return notes;
    case LinkState::kOtherProgram: {
      // In place: the kernel swaps the program of the attached link; BPF_F_REPLACE makes the
      // swap fail if someone else changed it since privbind looked.
      UniqueFd old(bpf_prog_get_fd_by_id(check->progId));
      if (!old) return Error::fromErrno("bpf(BPF_PROG_GET_FD_BY_ID)", errno);
      bpf_link_update_opts opts{};
      opts.sz = sizeof opts;
      opts.flags = BPF_F_REPLACE;
      opts.old_prog_fd = static_cast<__u32>(old.get());
      if (bpf_link_update(check->fd.get(), progFd, &opts) != 0)
        return Error::fromErrno("bpf(BPF_LINK_UPDATE, " + path + ")", errno);
      notes.push_back(path + ": " + check->detail + "; switched to this privbind's program");
      return notes;
    }
    case LinkState::kMissing:
      notes.push_back(path + ": missing; attached");
      break;
    case LinkState::kDetached:
      notes.push_back(path + ": " + check->detail + "; attached again");
      break;
    case LinkState::kForeign:
      notes.push_back(path + ": " + check->detail + " (tampered); replaced");
      break;
  }
  UniqueFd link(bpf_link_create(progFd, root.fd.get(), type, nullptr));
  if (!link)
    return Error::fromErrno(
        "bpf(BPF_LINK_CREATE, " + root.path + ", attach type " + std::to_string(type) + ")", errno);
  if (auto s = pinReplacing(link.get(), path); !s) return s.error();
  return notes;
}

Result<bool> removeLinkPin(const std::string& path, const std::string& progName) {
  auto pin = openPin(path);
  if (!pin) return pin.error();
  if (!*pin) return false;
  if (kindOf(pin->get()) == ObjectKind::kLink) {
    bpf_link_info info{};
    uint32_t len = sizeof info;
    UniqueFd prog;
    if (bpf_obj_get_info_by_fd(pin->get(), &info, &len) == 0)
      prog = UniqueFd(bpf_prog_get_fd_by_id(info.prog_id));
    auto have = prog ? programInfo(prog.get()) : Result<ProgramInfo>(ProgramInfo{});
    if (have && have->name == progName && bpf_link_detach(pin->get()) != 0 && errno != ENOLINK)
      return Error::fromErrno("bpf(BPF_LINK_DETACH, " + path + ")", errno);
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT)
    return Error::fromErrno("unlink(" + path + ")", errno);
  return true;
}

}  // namespace privbind::bpf
