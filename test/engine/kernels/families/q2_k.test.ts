// Q2_K x Q8_K: block layout in kernels/src/q2_k.ts, plain-JS decoding in ../k-quants-js.ts.
import t from 'tap';
import { checkKQuantFamily } from '../k-family-check.js';

checkKQuantFamily(t, 'q2_K');
