/* A tiny shared library for the doctor tests: the program below finds it only through its
 * RPATH/RUNPATH, like java finds libjli.so. */
int doctor_lib_answer(void) { return 42; }
