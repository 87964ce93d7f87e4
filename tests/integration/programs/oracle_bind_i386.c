// The doctor oracle's probe as a 32-bit x86 program without libc (no 32-bit C library needed to
// build it: cc -m32 -nostdlib -static): the same protocol as oracle_bind.c, through int $0x80.
// Prints "started", binds 127.0.0.1:PORT (argv[1]) and prints "bound" (exit 0), or exits 3.

static long sys(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
  return r;
}

enum { kWrite = 4, kExit = 1, kSocket = 359, kBind = 361 };

static void say(const char* s) {
  long n = 0;
  while (s[n]) ++n;
  sys(kWrite, 1, (long)s, n);
}

void cstart(long* sp) {
  long argc = sp[0];
  char** argv = (char**)(sp + 1);
  say("started\n");
  if (argc < 2) sys(kExit, 2, 0, 0);
  unsigned port = 0;
  for (const char* p = argv[1]; *p >= '0' && *p <= '9'; ++p)
    port = port * 10 + (unsigned)(*p - '0');
  long fd = sys(kSocket, 2 /* AF_INET */, 1 /* SOCK_STREAM */, 0);
  if (fd < 0) sys(kExit, 3, 0, 0);
  unsigned char addr[16] = {2, 0, (unsigned char)(port >> 8), (unsigned char)port, 127, 0, 0, 1};
  if (sys(kBind, fd, (long)addr, sizeof addr) < 0) {
    say("bind: refused\n");
    sys(kExit, 3, 0, 0);
  }
  say("bound\n");
  sys(kExit, 0, 0, 0);
}

__asm__(
    ".globl _start\n"
    "_start:\n"
    "  xorl %ebp, %ebp\n"
    "  movl %esp, %eax\n"
    "  andl $-16, %esp\n"
    "  subl $12, %esp\n"
    "  pushl %eax\n"
    "  call cstart\n"
    "  hlt\n");
