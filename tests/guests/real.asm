; Real-mode guest: loaded flat at 0x1000 with -Mode Real (starts at 0000:1000, no BIOS). Prints on
; COM1, takes three PIT interrupts through the real-mode IVT, exits with 0x10.
; Expected output: "real mode\r\ntick tick tick \r\n"
bits 16
org 0x1000
%include "common.inc"

start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7000
    mov si, hello
    call puts
    mov word [IRQ_BASE * 4], timer     ; IVT entry: offset, then segment 0
    mov word [IRQ_BASE * 4 + 2], 0
    PIC_INIT 0xfe
    PIT_INIT
    sti
.wait:
    hlt
    cmp word [ticks], 3
    jb .wait
    cli
    mov si, newline
    call puts
    EXIT 0x10

timer:
    push ax
    push si
    inc word [ticks]
    mov si, tick
    call puts
    EOI
    pop si
    pop ax
    iret

PUTS ax, dx, si

hello:   db "real mode", 13, 10, 0
tick:    db "tick ", 0
newline: db 13, 10, 0
ticks:   dw 0
