; Benchmark guest: COUNT (nasm -DCOUNT=n, default 100000) OUTs to port 0x80, then exits with 0. Its
; first instruction is the first OUT, so the first exit marks "first guest instruction executed".
; Each OUT is one port-I/O exit; the bench divides the count by the time.
bits 64
org 0x100000
%include "common.inc"
%ifndef COUNT
%define COUNT 100000
%endif
start:
    out 0x80, al
    mov ecx, COUNT - 1
.loop:
    out 0x80, al
    dec ecx
    jnz .loop
    EXIT 0
