import { labTsup } from '../../tools/config/tsup.ts';
export default labTsup();
