import { Image, Text, View } from '@tarojs/components';
import Taro from '@tarojs/taro';

import { parseMarkdown, type Block, type Inline } from './parse';
import './markdown.scss';

function copyLink(url: string): void {
  // A mini-program cannot open outside web pages, so a tapped link is copied for the browser.
  void Taro.setClipboardData({ data: url });
}

function InlineRuns({ runs }: { runs: Inline[] }) {
  return (
    <>
      {runs.map((run, index) => {
        switch (run.type) {
          case 'text':
            return <Text key={index}>{run.text}</Text>;
          case 'strong':
            return (
              <Text key={index} className="md-strong">
                <InlineRuns runs={run.children} />
              </Text>
            );
          case 'em':
            return (
              <Text key={index} className="md-em">
                <InlineRuns runs={run.children} />
              </Text>
            );
          case 'code':
            return (
              <Text key={index} className="md-code">
                {run.text}
              </Text>
            );
          case 'link':
            return (
              <Text key={index} className="md-link" onClick={() => copyLink(run.url)}>
                {run.text}
              </Text>
            );
          case 'image':
            return /^https?:\/\//.test(run.url) ? (
              <Image key={index} className="md-image" src={run.url} mode="widthFix" />
            ) : (
              <Text
                key={index}
                className="md-image-alt"
              >{`[图片${run.alt ? `：${run.alt}` : ''}]`}</Text>
            );
        }
      })}
    </>
  );
}

function BlockView({ block }: { block: Block }) {
  switch (block.type) {
    case 'heading':
      return (
        <View className={`md-heading md-h${block.level}`}>
          <InlineRuns runs={block.content} />
        </View>
      );
    case 'paragraph':
      return (
        <View className="md-paragraph">
          <InlineRuns runs={block.content} />
        </View>
      );
    case 'list':
      return (
        <View className="md-list">
          {block.items.map((item, index) => (
            <View
              key={index}
              className="md-list-item"
              style={{ paddingLeft: `${item.depth * 1.5}em` }}
            >
              <Text className="md-list-marker">{item.marker}</Text>
              <View className="md-list-text">
                <InlineRuns runs={item.content} />
              </View>
            </View>
          ))}
        </View>
      );
    case 'code':
      return (
        <View className="md-code-block">
          <Text className="md-code-text" userSelect>
            {block.text}
          </Text>
        </View>
      );
    case 'quote':
      return (
        <View className="md-quote">
          {block.blocks.map((inner, index) => (
            <BlockView key={index} block={inner} />
          ))}
        </View>
      );
    case 'table':
      return (
        <View className="md-table">
          <View className="md-table-row md-table-head">
            {block.header.map((cell, index) => (
              <View key={index} className="md-table-cell">
                <InlineRuns runs={cell} />
              </View>
            ))}
          </View>
          {block.rows.map((row, rowIndex) => (
            <View key={rowIndex} className="md-table-row">
              {row.map((cell, index) => (
                <View key={index} className="md-table-cell">
                  <InlineRuns runs={cell} />
                </View>
              ))}
            </View>
          ))}
        </View>
      );
    case 'rule':
      return <View className="md-rule" />;
  }
}

/** Renders Markdown text with Taro components; no HTML from the text reaches the page. */
export function Markdown({ source, testId }: { source: string; testId?: string }) {
  const blocks = parseMarkdown(source);
  return (
    <View className="md-root" data-testid={testId}>
      {blocks.map((block, index) => (
        <BlockView key={index} block={block} />
      ))}
    </View>
  );
}
