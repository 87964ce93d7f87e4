/* Stands in for a Go program where no Go toolchain is installed: a dynamically linked C program
 * carrying the section the Go linker writes into every binary (.go.buildinfo). privbind must
 * refuse it in broker mode for that marker alone, since a real Go program would make the bind
 * system call itself and never reach the preload library. */
__attribute__((section(".go.buildinfo"), used)) static const char kBuildInfo[32] =
    "\xff Go buildinf:";

int main(void) { return kBuildInfo[0] == 0; }
