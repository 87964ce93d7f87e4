#include "doctor/restore.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "doctor/file_caps.h"

namespace privbind::doctor::restore {

namespace {

Status copyAll(int from, int to, const std::string& fromName, const std::string& toName) {
  char buf[65536];
  for (off_t at = 0;;) {
    ssize_t n = retryEintr([&] { return ::pread(from, buf, sizeof buf, at); });
    if (n < 0) return Error::fromErrno("read(" + fromName + ")", errno);
    if (n == 0) return {};
    at += n;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = retryEintr([&] { return ::write(to, buf + done, n - done); });
      if (w < 0) return Error::fromErrno("write(" + toName + ")", errno);
      done += w;
    }
  }
}

// pread until size bytes or the end of the file; the count, or -1.
ssize_t preadFull(int fd, char* buf, size_t size, off_t at) {
  size_t got = 0;
  while (got < size) {
    ssize_t n = retryEintr(
        [&] { return ::pread(fd, buf + got, size - got, at + static_cast<off_t>(got)); });
    if (n < 0) return -1;
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(got);
}

// Whether the open file a and the file at path hold the same bytes.
Result<bool> sameBytes(int a, const std::string& path) {
  UniqueFd b(retryEintr([&] { return open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW); }));
  if (!b) return Error::fromErrno("open(" + path + ")", errno);
  static char x[65536], y[65536];
  for (off_t at = 0;;) {
    ssize_t n = preadFull(a, x, sizeof x, at);
    ssize_t m = preadFull(b.get(), y, sizeof y, at);
    if (n < 0 || m < 0) return Error::fromErrno("read(" + path + ")", errno);
    if (n != m || std::memcmp(x, y, static_cast<size_t>(n)) != 0) return false;
    if (n == 0) return true;
    at += n;
  }
}

// Removes the backup, but only while its name still holds the inode keep() created.
void dropBackup(const Original& o) {
  struct stat st {};
  if (lstat(o.backup.c_str(), &st) == 0 && st.st_dev == o.dev && st.st_ino == o.ino)
    unlink(o.backup.c_str());
}

}  // namespace

Result<Original> keep(const std::string& path, const std::string& backup, const struct stat& st,
                      const std::string& caps) {
  Original o;
  o.path = path;
  o.backup = backup;
  o.st = st;
  o.caps = caps;
  UniqueFd in(retryEintr([&] { return open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!in) return Error::fromErrno("open(" + path + ")", errno);
  o.fd = UniqueFd(retryEintr([&] {
    return open(backup.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  }));
  if (!o.fd) return Error::fromErrno("open(" + backup + ", O_CREAT|O_EXCL)", errno);
  struct stat bst {};
  if (fstat(o.fd.get(), &bst) != 0) {
    int err = errno;
    unlink(backup.c_str());  // just created with O_EXCL: ours
    return Error::fromErrno("fstat(" + backup + ")", err);
  }
  o.dev = bst.st_dev;
  o.ino = bst.st_ino;
  // A half-made backup is removed, not left behind (while the name still holds our inode).
  auto fail = [&](Error e) {
    dropBackup(o);
    return e;
  };
  if (auto s = copyAll(in.get(), o.fd.get(), path, backup); !s) return fail(s.error());
  if (fsync(o.fd.get()) != 0) return fail(Error::fromErrno("fsync(" + backup + ")", errno));
  // chown before chmod: chown(2) clears setuid bits and security.capability.
  if (fchown(o.fd.get(), st.st_uid, st.st_gid) != 0)
    return fail(Error::fromErrno("fchown(" + backup + ")", errno));
  if (fchmod(o.fd.get(), st.st_mode & 01777) != 0)
    return fail(Error::fromErrno("fchmod(" + backup + ")", errno));
  return o;
}

Status putBack(Original& o) {
  std::string tmpl = o.path + ".privbind-restore.XXXXXX";
  std::unique_ptr<char[]> name(new char[tmpl.size() + 1]);
  std::memcpy(name.get(), tmpl.c_str(), tmpl.size() + 1);
  UniqueFd out(mkostemp(name.get(), O_CLOEXEC));  // O_CREAT|O_EXCL, mode 0600
  if (!out) return Error::fromErrno("mkostemp(" + tmpl + ")", errno);
  std::string tmp = name.get();
  auto fail = [&](Error e) {
    unlink(tmp.c_str());
    return e;
  };
  if (auto s = copyAll(o.fd.get(), out.get(), o.backup, tmp); !s) return fail(s.error());
  // Owner, then mode, then capabilities: each later step survives the earlier ones only in
  // this order (chown(2) clears setuid/setgid and security.capability).
  if (fchown(out.get(), o.st.st_uid, o.st.st_gid) != 0)
    return fail(Error::fromErrno("fchown(" + tmp + ")", errno));
  if (fchmod(out.get(), o.st.st_mode & 07777) != 0)
    return fail(Error::fromErrno("fchmod(" + tmp + ")", errno));
  if (!o.caps.empty()) {
    filecaps::CapPtr c(cap_from_text(o.caps.c_str()));
    if (!c || cap_set_fd(out.get(), c.get()) != 0)
      return fail(Error::fromErrno("cap_set_fd(" + tmp + ", " + o.caps + ")", errno));
  }
  if (fsync(out.get()) != 0) return fail(Error::fromErrno("fsync(" + tmp + ")", errno));
  if (rename(tmp.c_str(), o.path.c_str()) != 0)
    return fail(Error::fromErrno("rename(" + tmp + ", " + o.path + ")", errno));

  // Read it back before calling it restored.
  struct stat now {};
  if (lstat(o.path.c_str(), &now) != 0) return Error::fromErrno("lstat(" + o.path + ")", errno);
  if (!S_ISREG(now.st_mode) || now.st_uid != o.st.st_uid || now.st_gid != o.st.st_gid ||
      (now.st_mode & 07777) != (o.st.st_mode & 07777))
    return Error::refuse(o.path, "owner or mode differ from the original after restoring it");
  if (std::string caps = filecaps::read(o.path).text; caps != o.caps)
    return Error::refuse(
        o.path, "file capabilities are '" + caps + "' after restoring, not '" + o.caps + "'");
  auto same = sameBytes(o.fd.get(), o.path);
  if (!same) return same.error();
  if (!*same) return Error::refuse(o.path, "content differs from the original after restoring");

  // The backup is no longer needed.
  dropBackup(o);
  return {};
}

}  // namespace privbind::doctor::restore
