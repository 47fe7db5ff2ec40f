; Boot-sector-style real-mode guest: loaded flat at 0x7c00 with -Mode Real (starts at 0000:7c00, no
; BIOS). Exercises string instructions, MUL/DIV, a software interrupt through its own IVT entry and a
; far call, prints "boot: " and a checksum of its own first 256 bytes in hex, exits with 0x11.
; The emulator and KVM must print the same line (tests/Pester/Invoke-VirtMachine.Tests.ps1).
bits 16
org 0x7c00
%include "common.inc"

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7000
    mov word [0x30 * 4], service        ; INT 30h: print the string at DS:SI
    mov word [0x30 * 4 + 2], 0
    mov si, hello
    int 0x30
    ; Checksum: sum of bytes * position, folded with DIV.
    mov si, start
    mov cx, 256
    xor bx, bx
    xor di, di
    cld
.sum:
    lodsb
    xor ah, ah
    inc di
    mul di
    add bx, ax
    loop .sum
    mov ax, bx
    xor dx, dx
    mov cx, 0xfff1
    div cx
    add ax, dx
    call 0:hex16                        ; far call
    mov si, newline
    int 0x30
    EXIT 0x11

; Prints AX as four hex digits.
hex16:
    mov cx, 4
.digit:
    rol ax, 4
    push ax
    and al, 0x0f
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'a' - '0' - 10
.out:
    call putc
    pop ax
    loop .digit
    retf

service:
    push ax
.next:
    lodsb
    test al, al
    jz .done
    call putc
    jmp .next
.done:
    pop ax
    iret

putc:
    push dx
    push ax
    mov dx, COM1_LSR
.busy:
    in al, dx
    test al, 0x20
    jz .busy
    pop ax
    mov dx, COM1
    out dx, al
    pop dx
    ret

hello:   db "boot: ", 0
newline: db 13, 10, 0
