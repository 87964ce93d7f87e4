#include "common/elf.h"

#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "common/text.h"
#include "common/unique_fd.h"

namespace privbind::elf {

namespace {

// Closes the libelf handle on every path out of read().
class ElfHandle {
 public:
  explicit ElfHandle(Elf* e) : e_(e) {}
  ~ElfHandle() {
    if (e_) elf_end(e_);
  }
  ElfHandle(const ElfHandle&) = delete;
  ElfHandle& operator=(const ElfHandle&) = delete;
  Elf* get() const { return e_; }

 private:
  Elf* e_;
};

Error malformed(const std::string& path, const char* detail) {
  std::string why = "truncated or malformed ELF file";
  if (detail && *detail) why += std::string(" (") + detail + ")";
  return Error::refuse(path, why);
}

std::string libelfMessage() {
  const char* m = elf_errmsg(-1);
  return m ? m : "";
}

// Opens path for reading with a message that says which of the usual mistakes it is.
Result<UniqueFd> openRegular(const std::string& path) {
  if (path.empty()) return Error::refuse("''", "empty path");
  struct stat lst {};
  if (lstat(path.c_str(), &lst) != 0) return Error::fromErrno(path, errno);
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (S_ISLNK(lst.st_mode) && err == ENOENT)
      return Error::refuse(path, "dangling symbolic link (its target does not exist)");
    return Error::fromErrno(path, err);
  }
  if (S_ISDIR(st.st_mode)) return Error::refuse(path, "is a directory, not an executable file");
  if (!S_ISREG(st.st_mode)) return Error::refuse(path, "not a regular file");
  // O_NONBLOCK: never hang on a FIFO swapped in between stat and open.
  UniqueFd fd(retryEintr([&] { return open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK); }));
  if (!fd) return Error::fromErrno("open(" + path + ")", errno);
  struct stat fst {};
  if (fstat(fd.get(), &fst) != 0) return Error::fromErrno("fstat(" + path + ")", errno);
  if (!S_ISREG(fst.st_mode)) return Error::refuse(path, "not a regular file");
  return fd;
}

// Reads up to n bytes from the start of fd.
std::string readPrefix(int fd, size_t n) {
  std::string buf(n, '\0');
  ssize_t got = retryEintr([&] { return pread(fd, buf.data(), n, 0); });
  buf.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return buf;
}

bool isGoNote(Elf_Data* data, size_t size) {
  // A Go build ID note: name "Go\0\0", type 4 (NT_GO_BUILD_ID in the Go linker).
  GElf_Nhdr nhdr;
  size_t offset = 0, nameOffset = 0, descOffset = 0;
  while (offset < size &&
         (offset = gelf_getnote(data, offset, &nhdr, &nameOffset, &descOffset)) > 0) {
    if (nhdr.n_namesz == 3 && nhdr.n_type == 4 && nameOffset + 3 <= data->d_size &&
        std::memcmp(static_cast<const char*>(data->d_buf) + nameOffset, "Go", 3) == 0)
      return true;
  }
  return false;
}

// What ld.so takes from the dynamic table: DT_NEEDED, DT_RPATH, DT_RUNPATH, DT_SONAME and
// DF_1_NODEFLIB, up to DT_NULL. stringAt turns a string-table offset into its string, or says
// why it cannot.
template <class StringAt>
Status readDynamicEntries(Elf_Data* data, size_t count, StringAt&& stringAt, Info& info) {
  for (size_t i = 0; i < count; ++i) {
    GElf_Dyn d;
    if (!gelf_getdyn(data, static_cast<int>(i), &d)) return malformed(info.path, elf_errmsg(-1));
    if (d.d_tag == DT_NULL) break;
    if (d.d_tag == DT_FLAGS_1) info.noDefaultLib = (d.d_un.d_val & DF_1_NODEFLIB) != 0;
    if (d.d_tag != DT_NEEDED && d.d_tag != DT_RPATH && d.d_tag != DT_RUNPATH &&
        d.d_tag != DT_SONAME)
      continue;
    Result<std::string> s = stringAt(d.d_un.d_val);
    if (!s) return s.error();
    switch (d.d_tag) {
      case DT_NEEDED:
        info.needed.push_back(*s);
        break;
      case DT_SONAME:
        info.soname = *s;
        break;
      case DT_RPATH:
        info.hasRpath = true;
        info.rpath = text::splitPathList(*s);
        break;
      default:  // DT_RUNPATH
        info.hasRunpath = true;
        info.runpath = text::splitPathList(*s);
        break;
    }
  }
  return {};
}

// The dynamic table of a section whose strings live in the section strIndex.
Status readDynamic(Elf* e, Elf_Data* data, size_t count, size_t strIndex, Info& info) {
  auto stringAt = [&](uint64_t offset) -> Result<std::string> {
    const char* s = elf_strptr(e, strIndex, offset);
    if (!s) return malformed(info.path, "dynamic string out of range");
    return std::string(s);
  };
  return readDynamicEntries(data, count, stringAt, info);
}

// The dynamic table from its segment alone. Every offset is checked against the file size.
Status readDynamicSegment(Elf* e, const GElf_Phdr& dyn, size_t phnum, uint64_t fileSize,
                          Info& info) {
  if (dyn.p_offset > fileSize || dyn.p_filesz > fileSize - dyn.p_offset)
    return malformed(info.path, "PT_DYNAMIC outside the file");
  Elf_Data* data =
      elf_getdata_rawchunk(e, static_cast<int64_t>(dyn.p_offset), dyn.p_filesz, ELF_T_DYN);
  if (!data) return malformed(info.path, elf_errmsg(-1));
  size_t entsize = gelf_fsize(e, ELF_T_DYN, 1, EV_CURRENT);
  if (entsize == 0) return malformed(info.path, "bad dynamic entry size");
  size_t count = data->d_size / entsize;
  uint64_t strAddr = 0, strSize = 0;
  bool haveStr = false;
  for (size_t i = 0; i < count; ++i) {
    GElf_Dyn d;
    if (!gelf_getdyn(data, static_cast<int>(i), &d)) return malformed(info.path, elf_errmsg(-1));
    if (d.d_tag == DT_NULL) break;
    if (d.d_tag == DT_STRTAB) {
      strAddr = d.d_un.d_ptr;
      haveStr = true;
    }
    if (d.d_tag == DT_STRSZ) strSize = d.d_un.d_val;
  }
  if (!haveStr) return {};
  uint64_t strOffset = 0;
  bool mapped = false;
  for (size_t i = 0; i < phnum && !mapped; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(e, static_cast<int>(i), &ph)) return malformed(info.path, elf_errmsg(-1));
    if (ph.p_type == PT_LOAD && strAddr >= ph.p_vaddr && strAddr - ph.p_vaddr < ph.p_filesz) {
      strOffset = ph.p_offset + (strAddr - ph.p_vaddr);
      mapped = true;
    }
  }
  size_t rawLen = 0;
  const char* raw = elf_rawfile(e, &rawLen);
  if (!mapped || !raw || strOffset > rawLen || strSize > rawLen - strOffset)
    return malformed(info.path, "dynamic string table outside the file");
  auto str = [&](uint64_t off) -> Result<std::string> {
    if (off >= strSize) return malformed(info.path, "dynamic string out of range");
    const char* s = raw + strOffset + off;
    size_t max = strSize - off;
    size_t n = strnlen(s, max);
    if (n == max) return malformed(info.path, "unterminated dynamic string");
    return std::string(s, n);
  };
  return readDynamicEntries(data, count, str, info);
}

}  // namespace

std::string machineName(unsigned machine) {
  switch (machine) {
    case EM_X86_64:
      return "x86-64";
    case EM_386:
      return "i386";
    case EM_AARCH64:
      return "AArch64";
    case EM_ARM:
      return "ARM";
    case EM_RISCV:
      return "RISC-V";
    case EM_PPC64:
      return "PowerPC64";
    case EM_PPC:
      return "PowerPC";
    case EM_S390:
      return "S/390";
    case EM_MIPS:
      return "MIPS";
    case EM_LOONGARCH:
      return "LoongArch";
    case EM_SPARCV9:
      return "SPARC V9";
    default:
      return "machine " + std::to_string(machine);
  }
}

Result<Info> read(const std::string& path) {
  auto fd = openRegular(path);
  if (!fd) return fd.error();
  std::string head = readPrefix(fd->get(), 4);
  if (head.size() < 4 || head.compare(0, 4, ELFMAG, SELFMAG) != 0) {
    auto interp = scriptInterpreter(path);
    if (interp) return Error::refuse(path, "not an ELF file: a script run by " + *interp);
    if (head.empty()) return Error::refuse(path, "not an ELF file: the file is empty");
    return Error::refuse(path, "not an ELF file");
  }

  if (elf_version(EV_CURRENT) == EV_NONE)
    return Error::refuse("libelf", "library initialisation failed: " + libelfMessage());
  ElfHandle e(elf_begin(fd->get(), ELF_C_READ_MMAP, nullptr));
  if (!e.get()) return malformed(path, elf_errmsg(-1));
  if (elf_kind(e.get()) != ELF_K_ELF) return Error::refuse(path, "not an ELF file");

  Info info;
  info.path = path;
  GElf_Ehdr ehdr;
  if (!gelf_getehdr(e.get(), &ehdr)) return malformed(path, elf_errmsg(-1));
  int cls = gelf_getclass(e.get());
  if (cls == ELFCLASS32) {
    info.elfClass = 32;
  } else if (cls == ELFCLASS64) {
    info.elfClass = 64;
  } else {
    return malformed(path, "unknown ELF class");
  }
  info.machine = ehdr.e_machine;
  info.machineName = machineName(ehdr.e_machine);

  // Program headers: PT_INTERP says whether ld.so runs the program.
  size_t phnum = 0;
  if (elf_getphdrnum(e.get(), &phnum) != 0) return malformed(path, elf_errmsg(-1));
  struct stat st {};
  if (fstat(fd->get(), &st) != 0) return Error::fromErrno("fstat(" + path + ")", errno);
  const auto fileSize = static_cast<uint64_t>(st.st_size);
  GElf_Phdr dynPhdr{};
  bool haveDynPhdr = false;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(e.get(), static_cast<int>(i), &ph)) return malformed(path, elf_errmsg(-1));
    if (ph.p_type == PT_INTERP) {
      if (ph.p_offset > fileSize || ph.p_filesz > fileSize - ph.p_offset || ph.p_filesz == 0 ||
          ph.p_filesz > 4096)
        return malformed(path, "PT_INTERP outside the file");
      size_t len = 0;
      char* raw = elf_rawfile(e.get(), &len);
      if (!raw || ph.p_offset + ph.p_filesz > len) return malformed(path, "PT_INTERP unreadable");
      std::string interp(raw + ph.p_offset, ph.p_filesz);
      if (auto nul = interp.find('\0'); nul != std::string::npos) interp.resize(nul);
      info.dynamic = true;
      info.interpreter = interp;
    } else if (ph.p_type == PT_DYNAMIC) {
      dynPhdr = ph;
      haveDynPhdr = true;
    }
  }

  // Sections: the dynamic table with its string table, and Go's markers.
  size_t shstrndx = 0;
  bool haveNames = elf_getshdrstrndx(e.get(), &shstrndx) == 0;
  bool sawDynamicSection = false;
  for (Elf_Scn* scn = elf_nextscn(e.get(), nullptr); scn; scn = elf_nextscn(e.get(), scn)) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) return malformed(path, elf_errmsg(-1));
    const char* name = haveNames ? elf_strptr(e.get(), shstrndx, sh.sh_name) : nullptr;
    if (name &&
        (std::strcmp(name, ".go.buildinfo") == 0 || std::strcmp(name, ".note.go.buildid") == 0 ||
         std::strcmp(name, ".gopclntab") == 0))
      info.isGo = true;
    if (sh.sh_type == SHT_NOTE && !info.isGo && sh.sh_size > 0) {
      if (sh.sh_offset > fileSize || sh.sh_size > fileSize - sh.sh_offset)
        return malformed(path, "note section outside the file");
      Elf_Data* data = elf_getdata(scn, nullptr);
      if (data && isGoNote(data, data->d_size)) info.isGo = true;
    }
    if (sh.sh_type == SHT_DYNAMIC && !sawDynamicSection) {
      sawDynamicSection = true;
      if (sh.sh_offset > fileSize || sh.sh_size > fileSize - sh.sh_offset)
        return malformed(path, "dynamic section outside the file");
      Elf_Data* data = elf_getdata(scn, nullptr);
      if (!data) return malformed(path, elf_errmsg(-1));
      size_t entsize = gelf_fsize(e.get(), ELF_T_DYN, 1, EV_CURRENT);
      if (entsize == 0) return malformed(path, "bad dynamic entry size");
      if (auto s = readDynamic(e.get(), data, data->d_size / entsize, sh.sh_link, info); !s)
        return s.error();
    }
  }
  if (haveDynPhdr && !sawDynamicSection) {
    // No section headers (stripped with sstrip, packed): read PT_DYNAMIC and find DT_STRTAB
    // through the PT_LOAD segments, the way ld.so itself does.
    if (auto s = readDynamicSegment(e.get(), dynPhdr, phnum, fileSize, info); !s) return s.error();
  }
  return info;
}

Result<std::string> scriptInterpreter(const std::string& path) {
  auto fd = openRegular(path);
  if (!fd) return fd.error();
  // The kernel reads at most this much of a "#!" line (BINPRM_BUF_SIZE is 256 since Linux 5.1).
  std::string head = readPrefix(fd->get(), 256);
  if (head.size() < 2 || head[0] != '#' || head[1] != '!')
    return Error::refuse(path, "not a script (no '#!' line)");
  size_t i = 2;
  while (i < head.size() && (head[i] == ' ' || head[i] == '\t')) ++i;
  size_t end = i;
  while (end < head.size() && head[end] != ' ' && head[end] != '\t' && head[end] != '\n' &&
         head[end] != '\0')
    ++end;
  if (end == i) return Error::refuse(path, "'#!' line names no interpreter");
  if (end == head.size() && head.find('\n') == std::string::npos && head.size() == 256)
    return Error::refuse(path, "'#!' line longer than the kernel reads");
  return head.substr(i, end - i);
}

}  // namespace privbind::elf
