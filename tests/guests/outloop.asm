; Benchmark guest: RCX (set by the bench, default 100000) OUTs to port 0x80, then exits with 0.
; Each OUT is one port-I/O exit; the bench divides the count by the time.
bits 64
org 0x100000
%include "common.inc"
start:
    mov ecx, [rel count]
    mov dx, 0x80
.loop:
    out dx, al
    dec ecx
    jnz .loop
    EXIT 0
align 8
count: dd 100000
