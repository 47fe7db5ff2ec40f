; Spins forever without a single exit: only a forced stop (immediate exit plus a signal) ends it.
; Prints "spinning\r\n" first so a test knows the guest is running.
bits 64
org 0x100000
%include "common.inc"
start:
    mov dx, COM1
    lea rsi, [rel text]
.next:
    lodsb
    test al, al
    jz .spin
    out dx, al
    jmp .next
.spin:
    jmp .spin
text: db "spinning", 13, 10, 0
