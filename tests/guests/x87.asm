; x87 guest: loaded flat at 0x100000 with -Mode Long. Checks CPUID reports an FPU, then computes
; with the x87 and prints the results as 18-digit packed BCD (FBSTP) on COM1; exits with 0x87.
; Every operation used is correctly rounded (FSQRT, FDIV, FADD, FMUL, FRNDINT), so the emulator and
; a real CPU must print the same digits.
; Expected output:
;   "fpu yes\r\nsqrt2 001414213562373095\r\nharmonic 007485470860550345\r\npi 000003141592653590\r\n"
; (sqrt(2) x 1e15 and H(1000) x 1e15 rounded to integers, pi x 1e12.)
bits 64
org 0x100000
%include "common.inc"

start:
    ; CR0: MP and NE set, EM and TS clear, as an OS that uses the FPU would have it.
    mov rax, cr0
    and rax, ~0xC
    or rax, 0x22
    mov cr0, rax
    mov eax, 1
    cpuid
    lea rsi, [rel nofpu]
    test edx, 1
    jz .fail
    lea rsi, [rel fpuyes]
    call puts
    fninit

    ; sqrt(2) * 1e15, rounded to an integer.
    fld qword [rel scale]
    fld qword [rel two]
    fsqrt
    fmulp st1, st0
    lea rsi, [rel sqrt2]
    call print_st0

    ; H(1000) = 1/1 + ... + 1/1000, scaled by 1e15.
    fldz
    mov ecx, 1000
.harm:
    mov [rel k], ecx
    fld1
    fidiv dword [rel k]
    faddp st1, st0
    loop .harm
    fmul qword [rel scale]
    lea rsi, [rel harmonic]
    call print_st0

    ; pi (FLDPI) * 1e12.
    fldpi
    fmul qword [rel scale12]
    lea rsi, [rel pi]
    call print_st0

    fnstsw ax
    test al, 0x3f & ~0x20       ; any exception but "inexact" is a failure
    lea rsi, [rel flags]
    jnz .fail
    EXIT 0x87
.fail:
    call puts
    EXIT 0x66

; Prints the label at RSI, then ST0 rounded to an integer as 18 decimal digits; pops ST0.
print_st0:
    call puts
    frndint
    fbstp [rel bcd]
    mov ecx, 9
.digit:
    movzx eax, byte [rel bcd + rcx - 1]
    push rax
    shr al, 4
    add al, '0'
    call putc
    pop rax
    and al, 0xf
    add al, '0'
    call putc
    loop .digit
    lea rsi, [rel newline]
    jmp puts

putc:
    push rdx
    push rax
    mov dx, COM1_LSR
.busy:
    in al, dx
    test al, 0x20
    jz .busy
    pop rax
    mov dx, COM1
    out dx, al
    pop rdx
    ret

puts:
    push rax
.next:
    mov al, [rsi]
    test al, al
    jz .done
    call putc
    inc rsi
    jmp .next
.done:
    pop rax
    ret

fpuyes:   db "fpu yes", 13, 10, 0
nofpu:    db "no fpu", 13, 10, 0
flags:    db "unexpected x87 exception", 13, 10, 0
sqrt2:    db "sqrt2 ", 0
harmonic: db "harmonic ", 0
pi:       db "pi ", 0
newline:  db 13, 10, 0
align 8
two:      dq 2.0
scale:    dq 1.0e15
scale12:  dq 1.0e12
k:        dd 0
bcd:      times 10 db 0
