import { Text, View } from '@tarojs/components';
import type { QuestionFormat } from '@wxlearn/api-types';

import { htmlToText } from './markdown/html-text';
import { Markdown } from './markdown/Markdown';
import './formatted-text.scss';

interface FormattedTextProps {
  format: QuestionFormat;
  text: string;
  className?: string;
}

/**
 * Shows question text in its source format: plain text keeps its line breaks, Markdown is rendered
 * as components, and HTML is reduced to its text (it is never injected into the page).
 */
export function FormattedText({ format, text, className = '' }: FormattedTextProps) {
  if (format === 'markdown') {
    return (
      <View className={`formatted-text formatted-markdown ${className}`}>
        <Markdown source={text} />
      </View>
    );
  }
  const displayText = format === 'html' ? htmlToText(text) : text;
  return <Text className={`formatted-text formatted-plain ${className}`}>{displayText}</Text>;
}
