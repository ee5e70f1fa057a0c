import { labVitest } from '../../tools/config/vitest.ts';
export default labVitest;
