/* ssetable_forms.h -- the instruction forms ssetable.c runs (one FORM each) and their table. */
FORM(addsd, "addsd %%xmm1, %%xmm0")
FORM(addss, "addss %%xmm1, %%xmm0")
FORM(addpd, "addpd %%xmm1, %%xmm0")
FORM(addps, "addps %%xmm1, %%xmm0")
FORM(subsd, "subsd %%xmm1, %%xmm0")
FORM(subss, "subss %%xmm1, %%xmm0")
FORM(subpd, "subpd %%xmm1, %%xmm0")
FORM(subps, "subps %%xmm1, %%xmm0")
FORM(mulsd, "mulsd %%xmm1, %%xmm0")
FORM(mulss, "mulss %%xmm1, %%xmm0")
FORM(mulpd, "mulpd %%xmm1, %%xmm0")
FORM(mulps, "mulps %%xmm1, %%xmm0")
FORM(divsd, "divsd %%xmm1, %%xmm0")
FORM(divss, "divss %%xmm1, %%xmm0")
FORM(divpd, "divpd %%xmm1, %%xmm0")
FORM(divps, "divps %%xmm1, %%xmm0")
FORM(minsd, "minsd %%xmm1, %%xmm0")
FORM(minss, "minss %%xmm1, %%xmm0")
FORM(minpd, "minpd %%xmm1, %%xmm0")
FORM(minps, "minps %%xmm1, %%xmm0")
FORM(maxsd, "maxsd %%xmm1, %%xmm0")
FORM(maxss, "maxss %%xmm1, %%xmm0")
FORM(maxpd, "maxpd %%xmm1, %%xmm0")
FORM(maxps, "maxps %%xmm1, %%xmm0")
FORM(sqrtsd, "sqrtsd %%xmm1, %%xmm0")
FORM(sqrtss, "sqrtss %%xmm1, %%xmm0")
FORM(sqrtpd, "sqrtpd %%xmm1, %%xmm0")
FORM(sqrtps, "sqrtps %%xmm1, %%xmm0")
FORM(cmpsd_0, "cmpsd $0, %%xmm1, %%xmm0")
FORM(cmpss_0, "cmpss $0, %%xmm1, %%xmm0")
FORM(cmpsd_1, "cmpsd $1, %%xmm1, %%xmm0")
FORM(cmpss_1, "cmpss $1, %%xmm1, %%xmm0")
FORM(cmpsd_2, "cmpsd $2, %%xmm1, %%xmm0")
FORM(cmpss_2, "cmpss $2, %%xmm1, %%xmm0")
FORM(cmpsd_3, "cmpsd $3, %%xmm1, %%xmm0")
FORM(cmpss_3, "cmpss $3, %%xmm1, %%xmm0")
FORM(cmpsd_4, "cmpsd $4, %%xmm1, %%xmm0")
FORM(cmpss_4, "cmpss $4, %%xmm1, %%xmm0")
FORM(cmpsd_5, "cmpsd $5, %%xmm1, %%xmm0")
FORM(cmpss_5, "cmpss $5, %%xmm1, %%xmm0")
FORM(cmpsd_6, "cmpsd $6, %%xmm1, %%xmm0")
FORM(cmpss_6, "cmpss $6, %%xmm1, %%xmm0")
FORM(cmpsd_7, "cmpsd $7, %%xmm1, %%xmm0")
FORM(cmpss_7, "cmpss $7, %%xmm1, %%xmm0")
FORM(cmppd_1, "cmppd $1, %%xmm1, %%xmm0")
FORM(cmppd_3, "cmppd $3, %%xmm1, %%xmm0")
FORM(cmpps_2, "cmpps $2, %%xmm1, %%xmm0")
FORM(cmpps_6, "cmpps $6, %%xmm1, %%xmm0")
FORM(ucomisd, "ucomisd %%xmm1, %%xmm0")
FORM(comisd, "comisd %%xmm1, %%xmm0")
FORM(ucomiss, "ucomiss %%xmm1, %%xmm0")
FORM(comiss, "comiss %%xmm1, %%xmm0")
FORM(cvtsd2ss, "cvtsd2ss %%xmm1, %%xmm0")
FORM(cvtss2sd, "cvtss2sd %%xmm1, %%xmm0")
FORM(cvttsd2si_32, "cvttsd2si %%xmm1, %%eax")
FORM(cvttsd2si_64, "cvttsd2si %%xmm1, %%rax")
FORM(cvtsd2si_32, "cvtsd2si %%xmm1, %%eax")
FORM(cvtsd2si_64, "cvtsd2si %%xmm1, %%rax")
FORM(cvttss2si_32, "cvttss2si %%xmm1, %%eax")
FORM(cvttss2si_64, "cvttss2si %%xmm1, %%rax")
FORM(cvtss2si_32, "cvtss2si %%xmm1, %%eax")
FORM(cvtss2si_64, "cvtss2si %%xmm1, %%rax")
FORM(cvtsi2sd_32, "cvtsi2sdl %%eax, %%xmm0")
FORM(cvtsi2sd_64, "cvtsi2sdq %%rax, %%xmm0")
FORM(cvtsi2ss_32, "cvtsi2ssl %%eax, %%xmm0")
FORM(cvtsi2ss_64, "cvtsi2ssq %%rax, %%xmm0")
FORM(cvtdq2ps, "cvtdq2ps %%xmm1, %%xmm0")
FORM(cvtdq2pd, "cvtdq2pd %%xmm1, %%xmm0")
FORM(cvtps2dq, "cvtps2dq %%xmm1, %%xmm0")
FORM(cvttps2dq, "cvttps2dq %%xmm1, %%xmm0")
FORM(cvtpd2dq, "cvtpd2dq %%xmm1, %%xmm0")
FORM(cvttpd2dq, "cvttpd2dq %%xmm1, %%xmm0")
FORM(cvtpd2ps, "cvtpd2ps %%xmm1, %%xmm0")
FORM(cvtps2pd, "cvtps2pd %%xmm1, %%xmm0")
FORM(paddb, "paddb %%xmm1, %%xmm0")
FORM(paddw, "paddw %%xmm1, %%xmm0")
FORM(paddd, "paddd %%xmm1, %%xmm0")
FORM(paddq, "paddq %%xmm1, %%xmm0")
FORM(psubb, "psubb %%xmm1, %%xmm0")
FORM(psubw, "psubw %%xmm1, %%xmm0")
FORM(psubd, "psubd %%xmm1, %%xmm0")
FORM(psubq, "psubq %%xmm1, %%xmm0")
FORM(paddsb, "paddsb %%xmm1, %%xmm0")
FORM(paddsw, "paddsw %%xmm1, %%xmm0")
FORM(paddusb, "paddusb %%xmm1, %%xmm0")
FORM(paddusw, "paddusw %%xmm1, %%xmm0")
FORM(psubsb, "psubsb %%xmm1, %%xmm0")
FORM(psubsw, "psubsw %%xmm1, %%xmm0")
FORM(psubusb, "psubusb %%xmm1, %%xmm0")
FORM(psubusw, "psubusw %%xmm1, %%xmm0")
FORM(pmullw, "pmullw %%xmm1, %%xmm0")
FORM(pmulhw, "pmulhw %%xmm1, %%xmm0")
FORM(pmulhuw, "pmulhuw %%xmm1, %%xmm0")
FORM(pmuludq, "pmuludq %%xmm1, %%xmm0")
FORM(pmaddwd, "pmaddwd %%xmm1, %%xmm0")
FORM(pavgb, "pavgb %%xmm1, %%xmm0")
FORM(pavgw, "pavgw %%xmm1, %%xmm0")
FORM(pminub, "pminub %%xmm1, %%xmm0")
FORM(pmaxub, "pmaxub %%xmm1, %%xmm0")
FORM(pminsw, "pminsw %%xmm1, %%xmm0")
FORM(pmaxsw, "pmaxsw %%xmm1, %%xmm0")
FORM(psadbw, "psadbw %%xmm1, %%xmm0")
FORM(pcmpeqb, "pcmpeqb %%xmm1, %%xmm0")
FORM(pcmpeqw, "pcmpeqw %%xmm1, %%xmm0")
FORM(pcmpeqd, "pcmpeqd %%xmm1, %%xmm0")
FORM(pcmpgtb, "pcmpgtb %%xmm1, %%xmm0")
FORM(pcmpgtw, "pcmpgtw %%xmm1, %%xmm0")
FORM(pcmpgtd, "pcmpgtd %%xmm1, %%xmm0")
FORM(pand, "pand %%xmm1, %%xmm0")
FORM(pandn, "pandn %%xmm1, %%xmm0")
FORM(por, "por %%xmm1, %%xmm0")
FORM(pxor, "pxor %%xmm1, %%xmm0")
FORM(andps, "andps %%xmm1, %%xmm0")
FORM(andnps, "andnps %%xmm1, %%xmm0")
FORM(orps, "orps %%xmm1, %%xmm0")
FORM(xorps, "xorps %%xmm1, %%xmm0")
FORM(andpd, "andpd %%xmm1, %%xmm0")
FORM(andnpd, "andnpd %%xmm1, %%xmm0")
FORM(orpd, "orpd %%xmm1, %%xmm0")
FORM(xorpd, "xorpd %%xmm1, %%xmm0")
FORM(punpcklbw, "punpcklbw %%xmm1, %%xmm0")
FORM(punpcklwd, "punpcklwd %%xmm1, %%xmm0")
FORM(punpckldq, "punpckldq %%xmm1, %%xmm0")
FORM(punpcklqdq, "punpcklqdq %%xmm1, %%xmm0")
FORM(punpckhbw, "punpckhbw %%xmm1, %%xmm0")
FORM(punpckhwd, "punpckhwd %%xmm1, %%xmm0")
FORM(punpckhdq, "punpckhdq %%xmm1, %%xmm0")
FORM(punpckhqdq, "punpckhqdq %%xmm1, %%xmm0")
FORM(unpcklps, "unpcklps %%xmm1, %%xmm0")
FORM(unpckhps, "unpckhps %%xmm1, %%xmm0")
FORM(unpcklpd, "unpcklpd %%xmm1, %%xmm0")
FORM(unpckhpd, "unpckhpd %%xmm1, %%xmm0")
FORM(packsswb, "packsswb %%xmm1, %%xmm0")
FORM(packssdw, "packssdw %%xmm1, %%xmm0")
FORM(packuswb, "packuswb %%xmm1, %%xmm0")
FORM(movss, "movss %%xmm1, %%xmm0")
FORM(movsd, "movsd %%xmm1, %%xmm0")
FORM(movhlps, "movhlps %%xmm1, %%xmm0")
FORM(movlhps, "movlhps %%xmm1, %%xmm0")
FORM(psllw, "psllw %%xmm1, %%xmm0")
FORM(psllw_0, "psllw $0, %%xmm0")
FORM(psllw_3, "psllw $3, %%xmm0")
FORM(psllw_15, "psllw $15, %%xmm0")
FORM(psllw_31, "psllw $31, %%xmm0")
FORM(psllw_33, "psllw $33, %%xmm0")
FORM(psllw_64, "psllw $64, %%xmm0")
FORM(pslld, "pslld %%xmm1, %%xmm0")
FORM(pslld_0, "pslld $0, %%xmm0")
FORM(pslld_3, "pslld $3, %%xmm0")
FORM(pslld_15, "pslld $15, %%xmm0")
FORM(pslld_31, "pslld $31, %%xmm0")
FORM(pslld_33, "pslld $33, %%xmm0")
FORM(pslld_64, "pslld $64, %%xmm0")
FORM(psllq, "psllq %%xmm1, %%xmm0")
FORM(psllq_0, "psllq $0, %%xmm0")
FORM(psllq_3, "psllq $3, %%xmm0")
FORM(psllq_15, "psllq $15, %%xmm0")
FORM(psllq_31, "psllq $31, %%xmm0")
FORM(psllq_33, "psllq $33, %%xmm0")
FORM(psllq_64, "psllq $64, %%xmm0")
FORM(psrlw, "psrlw %%xmm1, %%xmm0")
FORM(psrlw_0, "psrlw $0, %%xmm0")
FORM(psrlw_3, "psrlw $3, %%xmm0")
FORM(psrlw_15, "psrlw $15, %%xmm0")
FORM(psrlw_31, "psrlw $31, %%xmm0")
FORM(psrlw_33, "psrlw $33, %%xmm0")
FORM(psrlw_64, "psrlw $64, %%xmm0")
FORM(psrld, "psrld %%xmm1, %%xmm0")
FORM(psrld_0, "psrld $0, %%xmm0")
FORM(psrld_3, "psrld $3, %%xmm0")
FORM(psrld_15, "psrld $15, %%xmm0")
FORM(psrld_31, "psrld $31, %%xmm0")
FORM(psrld_33, "psrld $33, %%xmm0")
FORM(psrld_64, "psrld $64, %%xmm0")
FORM(psrlq, "psrlq %%xmm1, %%xmm0")
FORM(psrlq_0, "psrlq $0, %%xmm0")
FORM(psrlq_3, "psrlq $3, %%xmm0")
FORM(psrlq_15, "psrlq $15, %%xmm0")
FORM(psrlq_31, "psrlq $31, %%xmm0")
FORM(psrlq_33, "psrlq $33, %%xmm0")
FORM(psrlq_64, "psrlq $64, %%xmm0")
FORM(psraw, "psraw %%xmm1, %%xmm0")
FORM(psraw_0, "psraw $0, %%xmm0")
FORM(psraw_3, "psraw $3, %%xmm0")
FORM(psraw_15, "psraw $15, %%xmm0")
FORM(psraw_31, "psraw $31, %%xmm0")
FORM(psraw_33, "psraw $33, %%xmm0")
FORM(psraw_64, "psraw $64, %%xmm0")
FORM(psrad, "psrad %%xmm1, %%xmm0")
FORM(psrad_0, "psrad $0, %%xmm0")
FORM(psrad_3, "psrad $3, %%xmm0")
FORM(psrad_15, "psrad $15, %%xmm0")
FORM(psrad_31, "psrad $31, %%xmm0")
FORM(psrad_33, "psrad $33, %%xmm0")
FORM(psrad_64, "psrad $64, %%xmm0")
FORM(pslldq_0, "pslldq $0, %%xmm0")
FORM(psrldq_0, "psrldq $0, %%xmm0")
FORM(pslldq_5, "pslldq $5, %%xmm0")
FORM(psrldq_5, "psrldq $5, %%xmm0")
FORM(pslldq_15, "pslldq $15, %%xmm0")
FORM(psrldq_15, "psrldq $15, %%xmm0")
FORM(pslldq_16, "pslldq $16, %%xmm0")
FORM(psrldq_16, "psrldq $16, %%xmm0")
FORM(pshufd_1b, "pshufd $27, %%xmm1, %%xmm0")
FORM(pshufd_e4, "pshufd $228, %%xmm1, %%xmm0")
FORM(pshuflw_b1, "pshuflw $177, %%xmm1, %%xmm0")
FORM(pshufhw_4e, "pshufhw $78, %%xmm1, %%xmm0")
FORM(shufps_9c, "shufps $156, %%xmm1, %%xmm0")
FORM(shufps_0, "shufps $0, %%xmm1, %%xmm0")
FORM(shufpd_1, "shufpd $1, %%xmm1, %%xmm0")
FORM(shufpd_2, "shufpd $2, %%xmm1, %%xmm0")
FORM(movq_xmm, "movq %%xmm1, %%xmm0")
FORM(movd_to_r32, "movd %%xmm1, %%eax")
FORM(movq_to_r64, "movq %%xmm1, %%rax")
FORM(movd_from_r32, "movd %%eax, %%xmm0")
FORM(movq_from_r64, "movq %%rax, %%xmm0")
FORM(movmskps, "movmskps %%xmm1, %%eax")
FORM(movmskpd, "movmskpd %%xmm1, %%eax")
FORM(pmovmskb, "pmovmskb %%xmm1, %%eax")
FORM(pextrw_5, "pextrw $5, %%xmm1, %%eax")
FORM(pinsrw_3, "pinsrw $3, %%eax, %%xmm0")
struct form { const char *name; enum kind kind; void (*run)(block *); const unsigned char *start, *end; };
static const struct form forms[] = {
    {"addsd", SD, addsd_run, addsd_start, addsd_end},
    {"addss", SS, addss_run, addss_start, addss_end},
    {"addpd", PD, addpd_run, addpd_start, addpd_end},
    {"addps", PS, addps_run, addps_start, addps_end},
    {"subsd", SD, subsd_run, subsd_start, subsd_end},
    {"subss", SS, subss_run, subss_start, subss_end},
    {"subpd", PD, subpd_run, subpd_start, subpd_end},
    {"subps", PS, subps_run, subps_start, subps_end},
    {"mulsd", SD, mulsd_run, mulsd_start, mulsd_end},
    {"mulss", SS, mulss_run, mulss_start, mulss_end},
    {"mulpd", PD, mulpd_run, mulpd_start, mulpd_end},
    {"mulps", PS, mulps_run, mulps_start, mulps_end},
    {"divsd", SD, divsd_run, divsd_start, divsd_end},
    {"divss", SS, divss_run, divss_start, divss_end},
    {"divpd", PD, divpd_run, divpd_start, divpd_end},
    {"divps", PS, divps_run, divps_start, divps_end},
    {"minsd", SD, minsd_run, minsd_start, minsd_end},
    {"minss", SS, minss_run, minss_start, minss_end},
    {"minpd", PD, minpd_run, minpd_start, minpd_end},
    {"minps", PS, minps_run, minps_start, minps_end},
    {"maxsd", SD, maxsd_run, maxsd_start, maxsd_end},
    {"maxss", SS, maxss_run, maxss_start, maxss_end},
    {"maxpd", PD, maxpd_run, maxpd_start, maxpd_end},
    {"maxps", PS, maxps_run, maxps_start, maxps_end},
    {"sqrtsd", SD1, sqrtsd_run, sqrtsd_start, sqrtsd_end},
    {"sqrtss", SS1, sqrtss_run, sqrtss_start, sqrtss_end},
    {"sqrtpd", PD1, sqrtpd_run, sqrtpd_start, sqrtpd_end},
    {"sqrtps", PS1, sqrtps_run, sqrtps_start, sqrtps_end},
    {"cmpsd_0", SD, cmpsd_0_run, cmpsd_0_start, cmpsd_0_end},
    {"cmpss_0", SS, cmpss_0_run, cmpss_0_start, cmpss_0_end},
    {"cmpsd_1", SD, cmpsd_1_run, cmpsd_1_start, cmpsd_1_end},
    {"cmpss_1", SS, cmpss_1_run, cmpss_1_start, cmpss_1_end},
    {"cmpsd_2", SD, cmpsd_2_run, cmpsd_2_start, cmpsd_2_end},
    {"cmpss_2", SS, cmpss_2_run, cmpss_2_start, cmpss_2_end},
    {"cmpsd_3", SD, cmpsd_3_run, cmpsd_3_start, cmpsd_3_end},
    {"cmpss_3", SS, cmpss_3_run, cmpss_3_start, cmpss_3_end},
    {"cmpsd_4", SD, cmpsd_4_run, cmpsd_4_start, cmpsd_4_end},
    {"cmpss_4", SS, cmpss_4_run, cmpss_4_start, cmpss_4_end},
    {"cmpsd_5", SD, cmpsd_5_run, cmpsd_5_start, cmpsd_5_end},
    {"cmpss_5", SS, cmpss_5_run, cmpss_5_start, cmpss_5_end},
    {"cmpsd_6", SD, cmpsd_6_run, cmpsd_6_start, cmpsd_6_end},
    {"cmpss_6", SS, cmpss_6_run, cmpss_6_start, cmpss_6_end},
    {"cmpsd_7", SD, cmpsd_7_run, cmpsd_7_start, cmpsd_7_end},
    {"cmpss_7", SS, cmpss_7_run, cmpss_7_start, cmpss_7_end},
    {"cmppd_1", PD, cmppd_1_run, cmppd_1_start, cmppd_1_end},
    {"cmppd_3", PD, cmppd_3_run, cmppd_3_start, cmppd_3_end},
    {"cmpps_2", PS, cmpps_2_run, cmpps_2_start, cmpps_2_end},
    {"cmpps_6", PS, cmpps_6_run, cmpps_6_start, cmpps_6_end},
    {"ucomisd", SD, ucomisd_run, ucomisd_start, ucomisd_end},
    {"comisd", SD, comisd_run, comisd_start, comisd_end},
    {"ucomiss", SS, ucomiss_run, ucomiss_start, ucomiss_end},
    {"comiss", SS, comiss_run, comiss_start, comiss_end},
    {"cvtsd2ss", SD1, cvtsd2ss_run, cvtsd2ss_start, cvtsd2ss_end},
    {"cvtss2sd", SS1, cvtss2sd_run, cvtss2sd_start, cvtss2sd_end},
    {"cvttsd2si_32", SD1, cvttsd2si_32_run, cvttsd2si_32_start, cvttsd2si_32_end},
    {"cvttsd2si_64", SD1, cvttsd2si_64_run, cvttsd2si_64_start, cvttsd2si_64_end},
    {"cvtsd2si_32", SD1, cvtsd2si_32_run, cvtsd2si_32_start, cvtsd2si_32_end},
    {"cvtsd2si_64", SD1, cvtsd2si_64_run, cvtsd2si_64_start, cvtsd2si_64_end},
    {"cvttss2si_32", SS1, cvttss2si_32_run, cvttss2si_32_start, cvttss2si_32_end},
    {"cvttss2si_64", SS1, cvttss2si_64_run, cvttss2si_64_start, cvttss2si_64_end},
    {"cvtss2si_32", SS1, cvtss2si_32_run, cvtss2si_32_start, cvtss2si_32_end},
    {"cvtss2si_64", SS1, cvtss2si_64_run, cvtss2si_64_start, cvtss2si_64_end},
    {"cvtsi2sd_32", INT, cvtsi2sd_32_run, cvtsi2sd_32_start, cvtsi2sd_32_end},
    {"cvtsi2sd_64", INT, cvtsi2sd_64_run, cvtsi2sd_64_start, cvtsi2sd_64_end},
    {"cvtsi2ss_32", INT, cvtsi2ss_32_run, cvtsi2ss_32_start, cvtsi2ss_32_end},
    {"cvtsi2ss_64", INT, cvtsi2ss_64_run, cvtsi2ss_64_start, cvtsi2ss_64_end},
    {"cvtdq2ps", DQ, cvtdq2ps_run, cvtdq2ps_start, cvtdq2ps_end},
    {"cvtdq2pd", DQ, cvtdq2pd_run, cvtdq2pd_start, cvtdq2pd_end},
    {"cvtps2dq", PS1, cvtps2dq_run, cvtps2dq_start, cvtps2dq_end},
    {"cvttps2dq", PS1, cvttps2dq_run, cvttps2dq_start, cvttps2dq_end},
    {"cvtpd2dq", PD1, cvtpd2dq_run, cvtpd2dq_start, cvtpd2dq_end},
    {"cvttpd2dq", PD1, cvttpd2dq_run, cvttpd2dq_start, cvttpd2dq_end},
    {"cvtpd2ps", PD1, cvtpd2ps_run, cvtpd2ps_start, cvtpd2ps_end},
    {"cvtps2pd", PS1, cvtps2pd_run, cvtps2pd_start, cvtps2pd_end},
    {"paddb", I128, paddb_run, paddb_start, paddb_end},
    {"paddw", I128, paddw_run, paddw_start, paddw_end},
    {"paddd", I128, paddd_run, paddd_start, paddd_end},
    {"paddq", I128, paddq_run, paddq_start, paddq_end},
    {"psubb", I128, psubb_run, psubb_start, psubb_end},
    {"psubw", I128, psubw_run, psubw_start, psubw_end},
    {"psubd", I128, psubd_run, psubd_start, psubd_end},
    {"psubq", I128, psubq_run, psubq_start, psubq_end},
    {"paddsb", I128, paddsb_run, paddsb_start, paddsb_end},
    {"paddsw", I128, paddsw_run, paddsw_start, paddsw_end},
    {"paddusb", I128, paddusb_run, paddusb_start, paddusb_end},
    {"paddusw", I128, paddusw_run, paddusw_start, paddusw_end},
    {"psubsb", I128, psubsb_run, psubsb_start, psubsb_end},
    {"psubsw", I128, psubsw_run, psubsw_start, psubsw_end},
    {"psubusb", I128, psubusb_run, psubusb_start, psubusb_end},
    {"psubusw", I128, psubusw_run, psubusw_start, psubusw_end},
    {"pmullw", I128, pmullw_run, pmullw_start, pmullw_end},
    {"pmulhw", I128, pmulhw_run, pmulhw_start, pmulhw_end},
    {"pmulhuw", I128, pmulhuw_run, pmulhuw_start, pmulhuw_end},
    {"pmuludq", I128, pmuludq_run, pmuludq_start, pmuludq_end},
    {"pmaddwd", I128, pmaddwd_run, pmaddwd_start, pmaddwd_end},
    {"pavgb", I128, pavgb_run, pavgb_start, pavgb_end},
    {"pavgw", I128, pavgw_run, pavgw_start, pavgw_end},
    {"pminub", I128, pminub_run, pminub_start, pminub_end},
    {"pmaxub", I128, pmaxub_run, pmaxub_start, pmaxub_end},
    {"pminsw", I128, pminsw_run, pminsw_start, pminsw_end},
    {"pmaxsw", I128, pmaxsw_run, pmaxsw_start, pmaxsw_end},
    {"psadbw", I128, psadbw_run, psadbw_start, psadbw_end},
    {"pcmpeqb", I128, pcmpeqb_run, pcmpeqb_start, pcmpeqb_end},
    {"pcmpeqw", I128, pcmpeqw_run, pcmpeqw_start, pcmpeqw_end},
    {"pcmpeqd", I128, pcmpeqd_run, pcmpeqd_start, pcmpeqd_end},
    {"pcmpgtb", I128, pcmpgtb_run, pcmpgtb_start, pcmpgtb_end},
    {"pcmpgtw", I128, pcmpgtw_run, pcmpgtw_start, pcmpgtw_end},
    {"pcmpgtd", I128, pcmpgtd_run, pcmpgtd_start, pcmpgtd_end},
    {"pand", I128, pand_run, pand_start, pand_end},
    {"pandn", I128, pandn_run, pandn_start, pandn_end},
    {"por", I128, por_run, por_start, por_end},
    {"pxor", I128, pxor_run, pxor_start, pxor_end},
    {"andps", I128, andps_run, andps_start, andps_end},
    {"andnps", I128, andnps_run, andnps_start, andnps_end},
    {"orps", I128, orps_run, orps_start, orps_end},
    {"xorps", I128, xorps_run, xorps_start, xorps_end},
    {"andpd", I128, andpd_run, andpd_start, andpd_end},
    {"andnpd", I128, andnpd_run, andnpd_start, andnpd_end},
    {"orpd", I128, orpd_run, orpd_start, orpd_end},
    {"xorpd", I128, xorpd_run, xorpd_start, xorpd_end},
    {"punpcklbw", I128, punpcklbw_run, punpcklbw_start, punpcklbw_end},
    {"punpcklwd", I128, punpcklwd_run, punpcklwd_start, punpcklwd_end},
    {"punpckldq", I128, punpckldq_run, punpckldq_start, punpckldq_end},
    {"punpcklqdq", I128, punpcklqdq_run, punpcklqdq_start, punpcklqdq_end},
    {"punpckhbw", I128, punpckhbw_run, punpckhbw_start, punpckhbw_end},
    {"punpckhwd", I128, punpckhwd_run, punpckhwd_start, punpckhwd_end},
    {"punpckhdq", I128, punpckhdq_run, punpckhdq_start, punpckhdq_end},
    {"punpckhqdq", I128, punpckhqdq_run, punpckhqdq_start, punpckhqdq_end},
    {"unpcklps", I128, unpcklps_run, unpcklps_start, unpcklps_end},
    {"unpckhps", I128, unpckhps_run, unpckhps_start, unpckhps_end},
    {"unpcklpd", I128, unpcklpd_run, unpcklpd_start, unpcklpd_end},
    {"unpckhpd", I128, unpckhpd_run, unpckhpd_start, unpckhpd_end},
    {"packsswb", I128, packsswb_run, packsswb_start, packsswb_end},
    {"packssdw", I128, packssdw_run, packssdw_start, packssdw_end},
    {"packuswb", I128, packuswb_run, packuswb_start, packuswb_end},
    {"movss", I128, movss_run, movss_start, movss_end},
    {"movsd", I128, movsd_run, movsd_start, movsd_end},
    {"movhlps", I128, movhlps_run, movhlps_start, movhlps_end},
    {"movlhps", I128, movlhps_run, movlhps_start, movlhps_end},
    {"psllw", SHIFT, psllw_run, psllw_start, psllw_end},
    {"psllw_0", I128, psllw_0_run, psllw_0_start, psllw_0_end},
    {"psllw_3", I128, psllw_3_run, psllw_3_start, psllw_3_end},
    {"psllw_15", I128, psllw_15_run, psllw_15_start, psllw_15_end},
    {"psllw_31", I128, psllw_31_run, psllw_31_start, psllw_31_end},
    {"psllw_33", I128, psllw_33_run, psllw_33_start, psllw_33_end},
    {"psllw_64", I128, psllw_64_run, psllw_64_start, psllw_64_end},
    {"pslld", SHIFT, pslld_run, pslld_start, pslld_end},
    {"pslld_0", I128, pslld_0_run, pslld_0_start, pslld_0_end},
    {"pslld_3", I128, pslld_3_run, pslld_3_start, pslld_3_end},
    {"pslld_15", I128, pslld_15_run, pslld_15_start, pslld_15_end},
    {"pslld_31", I128, pslld_31_run, pslld_31_start, pslld_31_end},
    {"pslld_33", I128, pslld_33_run, pslld_33_start, pslld_33_end},
    {"pslld_64", I128, pslld_64_run, pslld_64_start, pslld_64_end},
    {"psllq", SHIFT, psllq_run, psllq_start, psllq_end},
    {"psllq_0", I128, psllq_0_run, psllq_0_start, psllq_0_end},
    {"psllq_3", I128, psllq_3_run, psllq_3_start, psllq_3_end},
    {"psllq_15", I128, psllq_15_run, psllq_15_start, psllq_15_end},
    {"psllq_31", I128, psllq_31_run, psllq_31_start, psllq_31_end},
    {"psllq_33", I128, psllq_33_run, psllq_33_start, psllq_33_end},
    {"psllq_64", I128, psllq_64_run, psllq_64_start, psllq_64_end},
    {"psrlw", SHIFT, psrlw_run, psrlw_start, psrlw_end},
    {"psrlw_0", I128, psrlw_0_run, psrlw_0_start, psrlw_0_end},
    {"psrlw_3", I128, psrlw_3_run, psrlw_3_start, psrlw_3_end},
    {"psrlw_15", I128, psrlw_15_run, psrlw_15_start, psrlw_15_end},
    {"psrlw_31", I128, psrlw_31_run, psrlw_31_start, psrlw_31_end},
    {"psrlw_33", I128, psrlw_33_run, psrlw_33_start, psrlw_33_end},
    {"psrlw_64", I128, psrlw_64_run, psrlw_64_start, psrlw_64_end},
    {"psrld", SHIFT, psrld_run, psrld_start, psrld_end},
    {"psrld_0", I128, psrld_0_run, psrld_0_start, psrld_0_end},
    {"psrld_3", I128, psrld_3_run, psrld_3_start, psrld_3_end},
    {"psrld_15", I128, psrld_15_run, psrld_15_start, psrld_15_end},
    {"psrld_31", I128, psrld_31_run, psrld_31_start, psrld_31_end},
    {"psrld_33", I128, psrld_33_run, psrld_33_start, psrld_33_end},
    {"psrld_64", I128, psrld_64_run, psrld_64_start, psrld_64_end},
    {"psrlq", SHIFT, psrlq_run, psrlq_start, psrlq_end},
    {"psrlq_0", I128, psrlq_0_run, psrlq_0_start, psrlq_0_end},
    {"psrlq_3", I128, psrlq_3_run, psrlq_3_start, psrlq_3_end},
    {"psrlq_15", I128, psrlq_15_run, psrlq_15_start, psrlq_15_end},
    {"psrlq_31", I128, psrlq_31_run, psrlq_31_start, psrlq_31_end},
    {"psrlq_33", I128, psrlq_33_run, psrlq_33_start, psrlq_33_end},
    {"psrlq_64", I128, psrlq_64_run, psrlq_64_start, psrlq_64_end},
    {"psraw", SHIFT, psraw_run, psraw_start, psraw_end},
    {"psraw_0", I128, psraw_0_run, psraw_0_start, psraw_0_end},
    {"psraw_3", I128, psraw_3_run, psraw_3_start, psraw_3_end},
    {"psraw_15", I128, psraw_15_run, psraw_15_start, psraw_15_end},
    {"psraw_31", I128, psraw_31_run, psraw_31_start, psraw_31_end},
    {"psraw_33", I128, psraw_33_run, psraw_33_start, psraw_33_end},
    {"psraw_64", I128, psraw_64_run, psraw_64_start, psraw_64_end},
    {"psrad", SHIFT, psrad_run, psrad_start, psrad_end},
    {"psrad_0", I128, psrad_0_run, psrad_0_start, psrad_0_end},
    {"psrad_3", I128, psrad_3_run, psrad_3_start, psrad_3_end},
    {"psrad_15", I128, psrad_15_run, psrad_15_start, psrad_15_end},
    {"psrad_31", I128, psrad_31_run, psrad_31_start, psrad_31_end},
    {"psrad_33", I128, psrad_33_run, psrad_33_start, psrad_33_end},
    {"psrad_64", I128, psrad_64_run, psrad_64_start, psrad_64_end},
    {"pslldq_0", I128, pslldq_0_run, pslldq_0_start, pslldq_0_end},
    {"psrldq_0", I128, psrldq_0_run, psrldq_0_start, psrldq_0_end},
    {"pslldq_5", I128, pslldq_5_run, pslldq_5_start, pslldq_5_end},
    {"psrldq_5", I128, psrldq_5_run, psrldq_5_start, psrldq_5_end},
    {"pslldq_15", I128, pslldq_15_run, pslldq_15_start, pslldq_15_end},
    {"psrldq_15", I128, psrldq_15_run, psrldq_15_start, psrldq_15_end},
    {"pslldq_16", I128, pslldq_16_run, pslldq_16_start, pslldq_16_end},
    {"psrldq_16", I128, psrldq_16_run, psrldq_16_start, psrldq_16_end},
    {"pshufd_1b", I128, pshufd_1b_run, pshufd_1b_start, pshufd_1b_end},
    {"pshufd_e4", I128, pshufd_e4_run, pshufd_e4_start, pshufd_e4_end},
    {"pshuflw_b1", I128, pshuflw_b1_run, pshuflw_b1_start, pshuflw_b1_end},
    {"pshufhw_4e", I128, pshufhw_4e_run, pshufhw_4e_start, pshufhw_4e_end},
    {"shufps_9c", I128, shufps_9c_run, shufps_9c_start, shufps_9c_end},
    {"shufps_0", I128, shufps_0_run, shufps_0_start, shufps_0_end},
    {"shufpd_1", I128, shufpd_1_run, shufpd_1_start, shufpd_1_end},
    {"shufpd_2", I128, shufpd_2_run, shufpd_2_start, shufpd_2_end},
    {"movq_xmm", I128, movq_xmm_run, movq_xmm_start, movq_xmm_end},
    {"movd_to_r32", I128, movd_to_r32_run, movd_to_r32_start, movd_to_r32_end},
    {"movq_to_r64", I128, movq_to_r64_run, movq_to_r64_start, movq_to_r64_end},
    {"movd_from_r32", I128, movd_from_r32_run, movd_from_r32_start, movd_from_r32_end},
    {"movq_from_r64", I128, movq_from_r64_run, movq_from_r64_start, movq_from_r64_end},
    {"movmskps", I128, movmskps_run, movmskps_start, movmskps_end},
    {"movmskpd", I128, movmskpd_run, movmskpd_start, movmskpd_end},
    {"pmovmskb", I128, pmovmskb_run, pmovmskb_start, pmovmskb_end},
    {"pextrw_5", I128, pextrw_5_run, pextrw_5_start, pextrw_5_end},
    {"pinsrw_3", I128, pinsrw_3_run, pinsrw_3_start, pinsrw_3_end},
};
