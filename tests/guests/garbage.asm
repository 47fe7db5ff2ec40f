; Touches ports no device owns: four reads and four writes of garbage, then exits with 0x33.
; The machine must ignore them (reads return 0xff) and count eight unhandled accesses.
bits 64
org 0x100000
%include "common.inc"
start:
    mov dx, 0x1234
    in al, dx
    out dx, al
    mov dx, 0x5678
    in ax, dx
    out dx, ax
    mov dx, 0xbeef
    in eax, dx
    out dx, eax
    mov dx, 0x0e0
    in al, dx
    cmp al, 0xff                ; an unowned port reads as all ones
    jne .wrong
    out dx, al
    EXIT 0x33
.wrong:
    EXIT 0x34
