/* Prints "answer 42" when libdoctor_lib.so was found by ld.so; the test then knows the program
 * really started. */
#include <stdio.h>

int doctor_lib_answer(void);

int main(void) {
  printf("answer %d\n", doctor_lib_answer());
  return 0;
}
