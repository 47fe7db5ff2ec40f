; Multiprocessor guest: loaded flat at 0x10000 with -Mode Protected on a machine with KVM's in-kernel
; irqchip and N vCPUs. The BSP counts the processor entries of the MP table (scanning 0xf0000-0xfffff
; for "_MP_" as an OS does), then starts the APs with INIT-SIPI-SIPI through its xAPIC ICR at
; 0xfee00300. Each AP starts in real mode at the trampoline (0x11000, SIPI vector 0x11), switches
; to protected mode with its own GDT, reads its APIC id from 0xfee00020, prints it under a spinlock
; and adds itself to the shared count with LOCK XADD. The BSP waits until the count reaches the MP
; table's processor count and writes it to the debug-exit port.
; Expected output with 2 vCPUs: "smp: bsp apic 0, 2 cpus in the MP table\r\nap apic 1\r\nsmp: 2 cpus up\r\n",
; exit code 2. With more, one "ap apic K" line per AP in the order they come up.
; smpspin.asm assembles the same guest with SPIN defined: after "smp: N cpus up" every vCPU spins
; without exits (for forced-stop and pause tests); smpcrash.asm with CRASH: each AP triple-faults
; once counted (kvm_pvm, which emulates this protected-mode code, fails on the INT3 instead).
bits 32
org 0x10000
%include "common.inc"

%define LAPIC_ID        0xfee00020
%define LAPIC_ICR_LO    0xfee00300
%define LAPIC_ICR_HI    0xfee00310
%define ICR_ALL_BUT_SELF (3 << 18)
%define ICR_INIT        (5 << 8) | (1 << 14)        ; INIT, level assert
%define ICR_STARTUP     (6 << 8) | (1 << 14)        ; start-up IPI; the vector is the start page number
%define AP_STACKS       0x40000                     ; 1 KiB of stack per APIC id above this

start:
    call count_cpus
    mov [expected], eax
    call lock_console
    mov esi, msg_bsp
    call puts
    mov eax, [LAPIC_ID]
    shr eax, 24
    call print_dec
    mov esi, msg_comma
    call puts
    mov eax, [expected]
    call print_dec
    mov esi, msg_table
    call puts
    call unlock_console

    mov dword [LAPIC_ICR_HI], 0
    mov dword [LAPIC_ICR_LO], ICR_ALL_BUT_SELF | ICR_INIT
    call wait_icr
    mov dword [LAPIC_ICR_LO], ICR_ALL_BUT_SELF | ICR_STARTUP | ((ap_entry - $$ + 0x10000) >> 12)
    call wait_icr
    mov dword [LAPIC_ICR_LO], ICR_ALL_BUT_SELF | ICR_STARTUP | ((ap_entry - $$ + 0x10000) >> 12)
    call wait_icr

.wait:
    pause
    mov eax, [started]
    cmp eax, [expected]
    jb .wait

    call lock_console
    mov esi, msg_smp
    call puts
    mov eax, [started]
    call print_dec
    mov esi, msg_up
    call puts
    call unlock_console
%ifdef SPIN
.spin:
    jmp .spin
%endif
    mov al, [started]
    out DEBUG_EXIT, al
.hang:
    cli
    hlt
    jmp .hang

; EAX = number of processor entries in the MP configuration table; exits with 0xee when there is none.
count_cpus:
    mov esi, 0xf0000
.scan:
    cmp dword [esi], '_MP_'
    je .found
    add esi, 16
    cmp esi, 0x100000
    jb .scan
    EXIT 0xee
.found:
    mov esi, [esi + 4]                  ; physical address of the configuration table
    cmp dword [esi], 'PCMP'
    jne .scan_failed
    movzx ecx, word [esi + 34]          ; entry count
    lea edi, [esi + 44]
    xor eax, eax
.entry:
    test ecx, ecx
    jz .done
    dec ecx
    cmp byte [edi], 0                   ; processor entries are 20 bytes, the others 8
    jne .other
    inc eax
    add edi, 20
    jmp .entry
.other:
    add edi, 8
    jmp .entry
.done:
    ret
.scan_failed:
    EXIT 0xef

; The ICR's delivery-status bit (12) clears once the IPI has been sent.
wait_icr:
    test dword [LAPIC_ICR_LO], 1 << 12
    jnz wait_icr
    ret

lock_console:
    push eax
.try:
    mov eax, 1
    xchg eax, [console_lock]
    test eax, eax
    jz .got
    pause
    jmp .try
.got:
    pop eax
    ret

unlock_console:
    mov dword [console_lock], 0
    ret

; Prints EAX in decimal.
print_dec:
    push edx
    push ecx
    xor edx, edx
    mov ecx, 10
    div ecx
    test eax, eax
    jz .last
    call print_dec
.last:
    mov al, dl
    add al, '0'
    call putc
    pop ecx
    pop edx
    ret

puts:
    push eax
.next:
    mov al, [esi]
    test al, al
    jz .done
    call putc
    inc esi
    jmp .next
.done:
    pop eax
    ret

putc:
    push edx
    push eax
    mov dx, COM1_LSR
.busy:
    in al, dx
    test al, 0x20
    jz .busy
    pop eax
    mov dx, COM1
    out dx, al
    pop edx
    ret

msg_bsp:   db "smp: bsp apic ", 0
msg_comma: db ", ", 0
msg_table: db " cpus in the MP table", 13, 10, 0
msg_ap:    db "ap apic ", 0
msg_smp:   db "smp: ", 0
msg_up:    db " cpus up", 13, 10, 0
newline:   db 13, 10, 0
align 4
started:      dd 1                      ; the BSP counts itself
expected:     dd 0
console_lock: dd 0

; ---- the AP trampoline: a start-up IPI with vector 0x11 starts an AP in real mode at 1100:0000 ----
times 0x1000 - ($ - $$) db 0
bits 16
ap_entry:
    cli
    mov ax, cs
    mov ds, ax
    o32 lgdt [ap_gdtr - ap_entry]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword 0x08:ap32

bits 32
ap32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov ebx, [LAPIC_ID]
    shr ebx, 24
    mov esp, ebx
    shl esp, 10
    add esp, AP_STACKS + 0x400
    call lock_console
    mov esi, msg_ap
    call puts
    mov eax, ebx
    call print_dec
    mov esi, newline
    call puts
    call unlock_console
    mov eax, 1
    lock xadd [started], eax
%ifdef SPIN
.spin:
    jmp .spin
%endif
%ifdef CRASH
    lidt [empty_idt]                    ; no IDT: #BP -> #GP -> #DF -> triple fault, on this AP only
    int3
%endif
.halt:
    cli
    hlt
    jmp .halt

align 8
ap_gdt:
    dq 0
    dq 0x00cf9a000000ffff               ; 0x08: flat 32-bit code
    dq 0x00cf92000000ffff               ; 0x10: flat data
ap_gdtr:
    dw ap_gdtr - ap_gdt - 1
    dd ap_gdt
empty_idt:
    dw 0
    dd 0
