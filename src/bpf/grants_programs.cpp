#include "bpf/grants_programs.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <memory>

#include "bpf/grants_layout.h"
#include "grants_bpf.skel.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

namespace privbind::bpf {

namespace {

std::string pinName(const char* base) { return std::string(kPinDir) + "/" + base; }

// libbpf's own lines would go to stderr; privbind reports its errors in its own format.
int quiet(enum libbpf_print_level /*level*/, const char* /*format*/, va_list /*args*/) { return 0; }

struct SkelDeleter {
  void operator()(grants_bpf* s) const { grants_bpf__destroy(s); }
};
using Skel = std::unique_ptr<grants_bpf, SkelDeleter>;

struct MapCheck {
  MapState state = MapState::kMissing;
  std::string detail;
  UniqueFd fd;
};

struct MapShape {
  const char* name;
  bpf_map_type type;
  uint32_t keySize, valueSize, maxEntries;
};
constexpr MapShape kGrantsShape{"grants", BPF_MAP_TYPE_HASH, sizeof(privbind_grant_key),
                                sizeof(privbind_grant_value), PRIVBIND_GRANTS_MAX_ENTRIES};
constexpr MapShape kConfigShape{"grants_config", BPF_MAP_TYPE_ARRAY, sizeof(uint32_t),
                                sizeof(privbind_grants_config), 1};

// What is pinned at path, compared with the map privbind's programs expect.
Result<MapCheck> checkMap(const std::string& path, const MapShape& shape) {
  MapCheck out;
  auto pin = openPin(path);
  if (!pin) return pin.error();
  if (!*pin) return out;
  ObjectKind kind = kindOf(pin->get());
  out.state = MapState::kForeign;
  if (kind != ObjectKind::kMap) {
    out.detail = std::string("the pin holds ") + kindName(kind) + ", not a map";
    return out;
  }
  bpf_map_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(pin->get(), &info, &len) != 0)
    return Error::fromErrno("bpf(BPF_OBJ_GET_INFO_BY_FD, " + path + ")", errno);
  std::string name(info.name, strnlen(info.name, sizeof info.name));
  if (name != shape.name || info.type != static_cast<uint32_t>(shape.type) ||
      info.key_size != shape.keySize || info.value_size != shape.valueSize ||
      info.max_entries != shape.maxEntries) {
    out.detail = "a map '" + name + "' of another type or size";
    return out;
  }
  out.state = MapState::kCurrent;
  out.fd = std::move(*pin);
  return out;
}

// The programs, loaded (attached nowhere) with the pinned maps where they are privbind's, or
// with new maps (unpinned) where not.
Result<Skel> loadPrograms(const MapCheck& map, const MapCheck& config) {
  libbpf_set_print(quiet);
  Skel skel(grants_bpf__open());
  if (!skel) return Error::fromErrno("opening the standing grants' BPF object", errno);
  if (map.state == MapState::kCurrent && bpf_map__reuse_fd(skel->maps.grants, map.fd.get()) != 0)
    return Error::fromErrno("bpf_map__reuse_fd(" + grantsMapPin() + ")", errno);
  if (config.state == MapState::kCurrent &&
      bpf_map__reuse_fd(skel->maps.grants_config, config.fd.get()) != 0)
    return Error::fromErrno("bpf_map__reuse_fd(" + grantsConfigPin() + ")", errno);
  if (int rc = grants_bpf__load(skel.get()); rc != 0) {
    int err = rc < 0 ? -rc : EINVAL;
    std::string why = strerror(err);
    if (err == EPERM)
      why += " (loading BPF programs needs CAP_BPF and CAP_NET_ADMIN, or CAP_SYS_ADMIN)";
    return Error::refuse("loading the standing grants' BPF programs", why);
  }
  return skel;
}

GrantTable readTable(int mapFd) {
  GrantTable out;
  privbind_grant_key key{}, next{};
  privbind_grant_key* prev = nullptr;
  while (bpf_map_get_next_key(mapFd, prev, &next) == 0) {
    privbind_grant_value value{};
    if (bpf_map_lookup_elem(mapFd, &next, &value) == 0)
      out[{next.kind == PRIVBIND_GRANT_GROUP, next.id, next.port, next.protocol}] =
          (value.flags & PRIVBIND_GRANT_ANY_NETNS) != 0;
    key = next;
    prev = &key;
  }
  return out;
}

privbind_grant_key toKernel(const GrantKey& k) {
  privbind_grant_key key{};
  key.id = k.id;
  key.port = k.port;
  key.protocol = k.protocol;
  key.kind = k.group ? PRIVBIND_GRANT_GROUP : PRIVBIND_GRANT_USER;
  return key;
}

Status writeConfig(int fd, uint64_t cookie, uint32_t maxPort) {
  uint32_t zero = 0;
  privbind_grants_config config{};
  config.netns_cookie = cookie;
  config.max_port = maxPort;
  if (bpf_map_update_elem(fd, &zero, &config, BPF_ANY) != 0)
    return Error::fromErrno("bpf(BPF_MAP_UPDATE_ELEM, " + grantsConfigPin() + ")", errno);
  return {};
}

// The map holds exactly table afterwards. Order: the bound of the fast path goes up first,
// then entries are written, then removed, then the bound goes down: a bind granted both before
// and after is granted throughout.
Status syncTable(int mapFd, int configFd, const GrantTable& table, uint64_t cookie) {
  uint32_t zero = 0;
  privbind_grants_config old{};
  bpf_map_lookup_elem(configFd, &zero, &old);
  uint32_t maxPort = 0;
  for (const auto& [k, any] : table) maxPort = std::max<uint32_t>(maxPort, k.port);
  if (auto s = writeConfig(configFd, cookie, std::max(maxPort, old.max_port)); !s) return s;
  for (const auto& [k, any] : table) {
    privbind_grant_key key = toKernel(k);
    privbind_grant_value value{any ? PRIVBIND_GRANT_ANY_NETNS : 0u};
    if (bpf_map_update_elem(mapFd, &key, &value, BPF_ANY) != 0)
      return Error::fromErrno("bpf(BPF_MAP_UPDATE_ELEM, " + grantsMapPin() + ")", errno);
  }
  for (const auto& [k, any] : readTable(mapFd)) {
    if (table.contains(k)) continue;
    privbind_grant_key key = toKernel(k);
    if (bpf_map_delete_elem(mapFd, &key) != 0 && errno != ENOENT)
      return Error::fromErrno("bpf(BPF_MAP_DELETE_ELEM, " + grantsMapPin() + ")", errno);
  }
  return writeConfig(configFd, cookie, maxPort);
}

}  // namespace

std::string grantsMapPin() {
  return pinName(("grants_map_v" + std::to_string(PRIVBIND_GRANTS_LAYOUT)).c_str());
}
std::string grantsConfigPin() {
  return pinName(("grants_config_v" + std::to_string(PRIVBIND_GRANTS_LAYOUT)).c_str());
}
std::string grantsLinkPin(bool v6) { return pinName(v6 ? "grants_bind6" : "grants_bind4"); }

Result<uint64_t> ownNetnsCookie() {
  UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) return Error::fromErrno("socket(AF_INET, SOCK_DGRAM)", errno);
  uint64_t cookie = 0;
  socklen_t len = sizeof cookie;
  if (getsockopt(s.get(), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) != 0 ||
      len != sizeof cookie) {
    int err = errno;
    return Error::refuse("getsockopt(SO_NETNS_COOKIE)",
                         std::string(strerror(err)) +
                             " (Linux 5.14 and later say which network namespace is privbind's; "
                             "without it a grant cannot be kept to one)");
  }
  return cookie;
}

GrantsMaps openGrantsMaps() {
  GrantsMaps out;
  if (!bpffsMounted()) return out;
  auto map = checkMap(grantsMapPin(), kGrantsShape);
  auto config = checkMap(grantsConfigPin(), kConfigShape);
  if (!map || !config || map->state != MapState::kCurrent || config->state != MapState::kCurrent)
    return out;
  out.map = std::move(map->fd);
  out.config = std::move(config->fd);
  return out;
}

Result<GrantsKernel> inspectGrants() {
  GrantsKernel k;
  k.bpffsMounted = bpffsMounted();
  // Any of the four pins: cgroup mode's pinned programs live in the same directory, so the
  // directory alone says nothing about the standing grants.
  for (const auto& pin :
       {grantsMapPin(), grantsConfigPin(), grantsLinkPin(false), grantsLinkPin(true)})
    k.anyPinned = k.anyPinned || (k.bpffsMounted && access(pin.c_str(), F_OK) == 0);
  if (!k.anyPinned) return k;
  auto map = checkMap(grantsMapPin(), kGrantsShape);
  if (!map) return map.error();
  auto config = checkMap(grantsConfigPin(), kConfigShape);
  if (!config) return config.error();
  k.map = map->state;
  k.mapDetail = map->detail;
  k.config = config->state;
  k.configDetail = config->detail;
  if (map->state == MapState::kCurrent) k.entries = readTable(map->fd.get());
  if (config->state == MapState::kCurrent) {
    uint32_t zero = 0;
    privbind_grants_config c{};
    if (bpf_map_lookup_elem(config->fd.get(), &zero, &c) == 0) {
      k.netnsCookie = c.netns_cookie;
      k.maxPort = c.max_port;
    }
  }
  auto root = openRootCgroup();
  if (!root) return root.error();
  auto skel = loadPrograms(*map, *config);
  if (!skel) return skel.error();
  for (bool v6 : {false, true}) {
    auto want = programInfo(
        bpf_program__fd(v6 ? (*skel)->progs.grants_bind6 : (*skel)->progs.grants_bind4));
    if (!want) return want.error();
    auto check = checkLink(grantsLinkPin(v6), root->id,
                           v6 ? BPF_CGROUP_INET6_BIND : BPF_CGROUP_INET4_BIND, *want);
    if (!check) return check.error();
    (v6 ? k.bind6 : k.bind4) = check->state;
    (v6 ? k.bind6Detail : k.bind4Detail) = check->detail;
  }
  return k;
}

Result<std::vector<std::string>> enforceGrants(const GrantTable& table, uint64_t netnsCookie) {
  std::vector<std::string> notes;
  if (auto s = preparePinDir(); !s) return s.error();
  auto root = openRootCgroup();
  if (!root) return root.error();
  auto map = checkMap(grantsMapPin(), kGrantsShape);
  if (!map) return map.error();
  auto config = checkMap(grantsConfigPin(), kConfigShape);
  if (!config) return config.error();
  for (auto* m : {&*map, &*config})
    if (m->state == MapState::kForeign)
      notes.push_back((m == &*map ? grantsMapPin() : grantsConfigPin()) + ": " + m->detail +
                      " (tampered); replaced");
  auto skel = loadPrograms(*map, *config);
  if (!skel) return skel.error();
  int mapFd = bpf_map__fd((*skel)->maps.grants);
  int configFd = bpf_map__fd((*skel)->maps.grants_config);
  // The policy first, then the pins of new maps, then the links: a link never runs a program
  // whose maps are not filled yet.
  if (auto s = syncTable(mapFd, configFd, table, netnsCookie); !s) return s.error();
  if (map->state != MapState::kCurrent)
    if (auto s = pinReplacing(mapFd, grantsMapPin()); !s) return s.error();
  if (config->state != MapState::kCurrent)
    if (auto s = pinReplacing(configFd, grantsConfigPin()); !s) return s.error();
  for (bool v6 : {false, true}) {
    auto done =
        ensureLink(grantsLinkPin(v6), *root, v6 ? BPF_CGROUP_INET6_BIND : BPF_CGROUP_INET4_BIND,
                   bpf_program__fd(v6 ? (*skel)->progs.grants_bind6 : (*skel)->progs.grants_bind4));
    if (!done) return done.error();
    notes.insert(notes.end(), done->begin(), done->end());
  }
  return notes;
}

Result<bool> removeGrants() {
  bool any = false;
  if (!bpffsMounted()) return false;
  for (bool v6 : {false, true}) {
    auto r = removeLinkPin(grantsLinkPin(v6), v6 ? kGrantsProgName6 : kGrantsProgName4);
    if (!r) return r.error();
    any = any || *r;
  }
  for (const auto& pin : {grantsMapPin(), grantsConfigPin()}) {
    if (unlink(pin.c_str()) == 0)
      any = true;
    else if (errno != ENOENT)
      return Error::fromErrno("unlink(" + pin + ")", errno);
  }
  rmdir(kPinDir);  // only when empty: other pins of privbind's may live there
  return any;
}

}  // namespace privbind::bpf
