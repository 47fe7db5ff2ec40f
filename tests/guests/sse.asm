; Long-mode guest that needs SSE2, the way 64-bit userspace does: it checks CPUID.1:EDX for SSE2
; and FXSR, turns SSE on (CR0.EM off, CR0.MP on, CR4.OSFXSR and OSXMMEXCPT), then runs what
; glibc's string functions and compiled float code use: a 16-byte-at-a-time strlen
; (PCMPEQB/PMOVMSKB/BSF), an aligned copy (MOVDQA/MOVDQU), packed doubles (MULPD/ADDPD, SHUFPD,
; CVTTSD2SI), a single-precision square root and FXSAVE/FXRSTOR of MXCSR. Exits with 0x50.
; Expected output: "sse2: len 43 sum 1496 sqrt 12 mxcsr 1f80\r\n"
bits 64
org 0x100000
%include "common.inc"

start:
    mov eax, 1
    cpuid
    mov eax, (1 << 26) | (1 << 24)      ; SSE2, FXSR
    and edx, eax
    cmp edx, eax
    jne no_sse
    mov rax, cr0
    and rax, ~(1 << 2)                  ; EM off: no x87 emulation
    or rax, 1 << 1                      ; MP on
    mov cr0, rax
    mov rax, cr4
    or rax, (1 << 9) | (1 << 10)        ; OSFXSR, OSXMMEXCPT
    mov cr4, rax

    ; strlen(message) with 16-byte compares from an aligned start, as glibc does.
    lea rdi, [rel message]
    pxor xmm0, xmm0
    mov rax, rdi
.scan:
    movdqa xmm1, [rax]
    pcmpeqb xmm1, xmm0
    pmovmskb ecx, xmm1
    test ecx, ecx
    jnz .found
    add rax, 16
    jmp .scan
.found:
    bsf ecx, ecx
    add rax, rcx
    sub rax, rdi
    mov [rel length], rax

    ; Copy 1.0..16.0 (as doubles) to an unaligned buffer and back, then sum their squares.
    lea rsi, [rel values]
    lea rdi, [rel scratch + 8]
    mov ecx, 8
.copy:
    movdqa xmm2, [rsi]
    movdqu [rdi], xmm2
    add rsi, 16
    add rdi, 16
    dec ecx
    jnz .copy
    lea rsi, [rel scratch + 8]
    xorpd xmm3, xmm3
    mov ecx, 8
.square:
    movdqu xmm2, [rsi]
    mulpd xmm2, xmm2
    addpd xmm3, xmm2
    add rsi, 16
    dec ecx
    jnz .square
    movapd xmm4, xmm3
    shufpd xmm4, xmm4, 1
    addsd xmm3, xmm4
    cvttsd2si rax, xmm3
    mov [rel sum], rax

    ; sqrt(144.0f) through CVTSI2SS, SQRTSS, CVTSS2SI.
    mov eax, 144
    cvtsi2ss xmm5, eax
    sqrtss xmm5, xmm5
    cvtss2si eax, xmm5
    mov [rel root], rax

    ; FXSAVE keeps MXCSR; scribble on it and restore it through FXRSTOR.
    lea rax, [rel fxarea]
    fxsave [rax]
    mov ecx, [rax + 24]
    mov [rel saved_mxcsr], rcx
    mov dword [rel scratch], 0x7f80
    ldmxcsr [rel scratch]
    fxrstor [rax]
    stmxcsr [rel scratch]
    mov ecx, [rel scratch]
    cmp rcx, [rel saved_mxcsr]
    jne bad

    lea rsi, [rel t_len]
    call puts
    mov rax, [rel length]
    call putdec
    lea rsi, [rel t_sum]
    call puts
    mov rax, [rel sum]
    call putdec
    lea rsi, [rel t_sqrt]
    call puts
    mov rax, [rel root]
    call putdec
    lea rsi, [rel t_mxcsr]
    call puts
    mov rax, [rel saved_mxcsr]
    call puthex
    lea rsi, [rel newline]
    call puts
    EXIT 0x50

no_sse:
    lea rsi, [rel t_nosse]
    call puts
    EXIT 0x51
bad:
    lea rsi, [rel t_bad]
    call puts
    EXIT 0x52

; Prints RAX in decimal.
putdec:
    lea rdi, [rel digits + 20]
    mov byte [rdi], 0
    mov ecx, 10
.more:
    xor edx, edx
    div rcx
    add dl, '0'
    dec rdi
    mov [rdi], dl
    test rax, rax
    jnz .more
    mov rsi, rdi
    jmp puts

; Prints RAX in hex, no leading zeros.
puthex:
    lea rdi, [rel digits + 20]
    mov byte [rdi], 0
.more:
    mov edx, eax
    and edx, 15
    lea rcx, [rel hexdigits]
    mov dl, [rcx + rdx]
    dec rdi
    mov [rdi], dl
    shr rax, 4
    jnz .more
    mov rsi, rdi
    jmp puts

PUTS rax, rdx, rsi

t_len:     db "sse2: len ", 0
t_sum:     db " sum ", 0
t_sqrt:    db " sqrt ", 0
t_mxcsr:   db " mxcsr ", 0
t_nosse:   db "no sse2", 13, 10, 0
t_bad:     db "fxrstor lost mxcsr", 13, 10, 0
newline:   db 13, 10, 0
hexdigits: db "0123456789abcdef"
align 16
message:   db "SIMD strlen reads sixteen bytes at one time", 0
align 16
values:    dq 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0
align 16
scratch:   times 160 db 0
digits:    times 24 db 0
length:    dq 0
sum:       dq 0
root:      dq 0
saved_mxcsr: dq 0
align 16
fxarea:    times 512 db 0
