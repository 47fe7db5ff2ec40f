; Executes POPCNT at CPL0 in long mode, then exits with 0x50. On VT-x/AMD-V the CPU runs it. On
; kvm_pvm hosts guest kernel code goes through the host kernel's instruction emulator, which has no
; POPCNT: the run must end Crashed with KVM_EXIT_INTERNAL_ERROR and the instruction bytes f3480fb8c3.
bits 64
org 0x100000
%include "common.inc"
start:
    mov rbx, 0xff
    popcnt rax, rbx
    cmp rax, 8
    jne .wrong
    EXIT 0x50
.wrong:
    EXIT 0x51
