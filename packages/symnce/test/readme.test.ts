import { describeReadmeExamples } from '../../../tools/config/readme-examples.ts';

describeReadmeExamples(new URL('../README.md', import.meta.url));
