; Benchmark guest for tests/Bench/Emulator.Bench.ps1: a boot sector (BIOS loads it at 0x7c00; our
; machine loads it there with -Mode Real) that switches to MODE (16, 32 or 64) bits and runs ITER
; iterations of an 8-instruction loop: two ALU ops, a load, an ALU op, a store, a subtract, a compare
; and a branch. Then it ends the run on every machine: port 0xf4 (VirtTools debug exit, QEMU
; isa-debug-exit) and "Shutdown" on port 0x8900 (Bochs).
; nasm -f bin -DMODE=64 -DITER=10000000 -o loop.img emulator-loop.asm
bits 16
org 0x7c00
start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7000
%if MODE == 16
    mov ecx, ITER
    mov si, 0x6000
    xor eax, eax
.l: add eax, ecx
    xor edx, eax
    mov ebx, [si]
    add ebx, edx
    mov [si], ebx
    sub ecx, 1
    cmp ecx, 0
    jne .l
    jmp done16
%else
    lgdt [gdtr]
  %if MODE == 64
    ; Identity-map the first 2 MiB: PML4 0x1000 -> PDPT 0x2000 -> PD 0x3000 (one 2 MiB page).
    mov di, 0x1000
    mov cx, 0x1800
    xor ax, ax
    rep stosw
    mov dword [0x1000], 0x2003
    mov dword [0x2000], 0x3003
    mov dword [0x3000], 0x83
    mov eax, 0x20
    mov cr4, eax
    mov eax, 0x1000
    mov cr3, eax
    mov ecx, 0xc0000080
    rdmsr
    or eax, 0x100
    wrmsr
    mov eax, 0x80000011
    mov cr0, eax
    jmp 0x18:long_entry
  %else
    mov eax, 0x11
    mov cr0, eax
    jmp 0x08:prot_entry
  %endif
%endif

%if MODE == 32
bits 32
prot_entry:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x7000
    mov ecx, ITER
    mov esi, 0x6000
    xor eax, eax
.l: add eax, ecx
    xor edx, eax
    mov ebx, [esi]
    add ebx, edx
    mov [esi], ebx
    sub ecx, 1
    cmp ecx, 0
    jne .l
    jmp finish
%endif

%if MODE == 64
bits 64
long_entry:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, 0x7000
    mov rcx, ITER
    mov rsi, 0x6000
    xor eax, eax
.l: add rax, rcx
    xor rdx, rax
    mov rbx, [rsi]
    add rbx, rdx
    mov [rsi], rbx
    sub rcx, 1
    cmp rcx, 0
    jne .l
    jmp finish
%endif

%if MODE == 16
bits 16
done16:
%endif
finish:
    xor eax, eax
    out 0xf4, al
    mov dx, 0x8900
    mov esi, shutdown
.s: mov al, [esi]
    test al, al
    jz .h
    out dx, al
    inc esi
    jmp .s
.h: cli
    hlt
    jmp .h

shutdown: db "Shutdown", 0
align 8
gdt: dq 0, 0x00cf9a000000ffff, 0x00cf92000000ffff, 0x00af9a000000ffff
gdtr: dw gdtr - gdt - 1
    dd gdt
times 510 - ($ - $$) db 0
dw 0xaa55
