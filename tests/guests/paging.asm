; Protected-mode guest with paging: loaded flat at 0x100000 with -Mode Protected (flat segments from
; the loader's GDT, paging off). Builds its own page directory (4 KiB page tables identity-mapping
; the first 4 MiB), turns paging on, prints on COM1, takes three PIT interrupts through its own IDT
; and exits with 0x21. Expected output: "protected mode, paging on\r\ntick tick tick \r\n"
; The program is protected.asm with PAGING defined.
%define PAGING
%include "protected.asm"
